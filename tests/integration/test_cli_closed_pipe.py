"""`contextwatch ... | head`: a reader that goes away early ends every command quietly."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from app.cli import CLOSED_PIPE_EXIT


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI with a standard output whose reading end is already closed."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "app", *args], stdin=subprocess.DEVNULL, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ("growth", "--json"),
    ("growth",),
    ("stats", "--json"),
    ("snapshots", "list", "--json"),
    pytest.param(("run", "--prompt", "Count from one to twenty.", "--max-tokens", "8"), marks=pytest.mark.model),
    pytest.param(("run", "--prompt", "Hello", "--max-tokens", "2", "--json"), marks=pytest.mark.model),
], ids=" ".join)
def test_a_closed_pipe_ends_the_command_without_a_traceback(args):
    proc = run_into_closed_pipe(*args)
    assert proc.stderr == ""
    assert proc.returncode == CLOSED_PIPE_EXIT


def test_help_into_a_closed_pipe_is_quiet_too():
    proc = run_into_closed_pipe("--help")
    assert proc.stderr == ""
    assert proc.returncode == 0  # argparse drops the failed write itself


def test_no_standard_output_at_all_is_quiet_too():
    proc = subprocess.run([sys.executable, "-m", "app", "growth", "--json"], stdin=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True, timeout=60, preexec_fn=lambda: os.close(1))
    assert proc.stderr == ""
    assert proc.returncode == 0

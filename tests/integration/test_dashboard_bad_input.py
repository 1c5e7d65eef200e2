"""The dashboard refuses bad input before it opens: one line on stderr and exit code 2, as the README says."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest


def open_dashboard(*args: str, config: str | None = None) -> subprocess.CompletedProcess:
    if config is not None:
        folder = os.path.join(os.environ["XDG_CONFIG_HOME"], "contextwatch")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "config.toml"), "w") as fh:
            fh.write(config)
    return subprocess.run([sys.executable, "-m", "app", *args], stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("args, config, words", [
    (("--model", "missing.gguf"), None, "model not found: missing.gguf"),
    (("--model", "."), None, "is a directory"),
    (("--model", os.devnull), None, "model file is empty"),
    (("--model", __file__), None, "not a GGUF model file"),
    pytest.param(("--n-ctx", "8000000"), None, "of memory is free", marks=pytest.mark.model),
    pytest.param((), 'type_v = "q8_0"\n', "needs flash attention", marks=pytest.mark.model),
    ((), "warn_threshold = 0.5\ncompress_trigger = 500.0\n", "compress_trigger must be between 1 and 100"),
    pytest.param(("--profile", "nope.json"), None, "profile file not found", marks=pytest.mark.model),
])
def test_bad_input_gives_one_line_and_exit_code_2_before_the_dashboard_opens(args, config, words):
    proc = open_dashboard(*args, config=config)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("contextwatch: error: ") and words in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == ""

"""Hostile and broken input to the headless commands: each ends within seconds in one clear line.

None of these loads the model except the non-UTF-8 prompt, which is answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from test_bad_input import assert_one_clear_line, run_cli, write_config


@pytest.mark.parametrize("args, words", [
    (["run", "--prompt", "hi", "--temperature", "nan"], "--temperature: must be between 0 and 100, got nan"),
    (["run", "--prompt", "hi", "--temperature", "inf"], "--temperature: must be between 0 and 100, got inf"),
    (["run", "--prompt", "hi", "--temperature", "-1"], "--temperature: must be between 0 and 100"),
    (["run", "--prompt", "hi", "--seed", "99999999999999999999"], "--seed: must be a whole number between -1"),
    (["run", "--prompt", "hi", "--max-tokens", "99999999999999999999"], "--max-tokens: must be a whole number"),
    (["run", "--prompt", "hi", "--n-ctx", "99999999999999999999"], "--n-ctx: must be a whole number between 1"),
    (["growth", "--limit", "99999999999999999999"], "--limit: must be a whole number between 1 and 1000000"),
    (["growth", "--min-growth", "99999999999999999999"], "--min-growth: must be a whole number"),
    (["growth", "--min-growth", "1" * 5000], "--min-growth: must be a whole number"),
    (["sweep", "--n-ctx", "99999999999999999999999744"], "n_ctx must be a whole number between 1 and"),
])
def test_numbers_out_of_range_are_refused_before_any_work(args, words):
    assert_one_clear_line(run_cli(*args), 2, words)


@pytest.mark.parametrize("command", ["growth", "stats"])
def test_a_session_number_too_large_for_sqlite_is_no_session(command):
    assert_one_clear_line(run_cli(command, "--session", "9" * 30), 2, "no session '999")


@pytest.mark.model
def test_prompt_bytes_that_are_not_utf8_are_replaced():
    proc = subprocess.run([sys.executable, "-m", "app", "run", "--prompt", b"Hello \xff\xfe there", "--max-tokens", "2",
                           "--json", "--save-snapshot", "bytes"], capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["tokens"]["prompt"] > 3
    assert b"Traceback" not in proc.stderr


@pytest.mark.parametrize("command", [["snapshots", "list"], ["snapshots", "show", "x"], ["growth"], ["stats"],
                                     ["snapshots", "export", "x", "-o", "out.md"]])
def test_a_data_folder_that_is_a_file(tmp_path, command):
    target = tmp_path / "not-a-folder"
    target.write_text("")
    proc = run_cli(*command, env={"XDG_DATA_HOME": str(target)})
    assert_one_clear_line(proc, 2, "cannot be written: Not a directory")


def test_a_file_where_the_snapshots_folder_should_be():
    folder = os.path.join(os.environ["XDG_DATA_HOME"], "contextwatch")
    os.makedirs(folder)
    with open(os.path.join(folder, "snapshots"), "w"):
        pass
    assert_one_clear_line(run_cli("snapshots", "list"), 2, "is a file where the snapshots folder should be")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_a_read_only_data_folder(tmp_path):
    folder = tmp_path / "ro" / "contextwatch"
    folder.mkdir(parents=True)
    folder.chmod(0o500)
    try:
        for command in (["snapshots", "list"], ["growth"], ["stats"]):
            proc = run_cli(*command, env={"XDG_DATA_HOME": str(tmp_path / "ro")})
            assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) <= 1, proc.stderr
    finally:
        folder.chmod(0o700)


def test_a_huge_config_file_is_refused_at_once():
    write_config(b"# " + b"x" * (30 << 20) + b"\n")
    start = time.monotonic()
    assert_one_clear_line(run_cli("run", "--prompt", "hi"), 2, "config.toml: too large")
    assert time.monotonic() - start < 20


def test_a_config_that_is_an_endless_device_is_refused_at_once():
    folder = os.path.join(os.environ["XDG_CONFIG_HOME"], "contextwatch")
    os.makedirs(folder)
    os.symlink("/dev/urandom", os.path.join(folder, "config.toml"))
    assert_one_clear_line(run_cli("run", "--prompt", "hi"), 2, "too large (more than 1.00 MiB)")


@pytest.mark.model
@pytest.mark.parametrize("flag", ["--profile", "--history"])
def test_profile_and_history_files_are_read_with_a_cap(flag):
    assert_one_clear_line(run_cli("run", "--prompt", "hi", flag, "/dev/zero"), 2, "/dev/zero: too large")

"""Bad input of every kind: one clear line, the right exit code, nothing saved changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def run_cli(*args, env=None, stdin=None):
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True,
                          timeout=300, env=full_env, input=stdin)


def assert_one_clear_line(proc, code, words):
    assert proc.returncode == code, proc.stderr
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def write_config(text: bytes):
    folder = os.path.join(os.environ["XDG_CONFIG_HOME"], "contextwatch")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.toml"), "wb") as fh:
        fh.write(text)


@pytest.mark.parametrize("text, words", [
    (b"n_ctx = [\n", "not valid TOML"),
    (b'n_ctx = "lots"\n', "n_ctx must be int"),
    (b"n_ctx = -3\n", "positive integer"),
    (b"colour = 1\n", "unknown setting 'colour'"),
    (b"temperature = true\n", "got a boolean"),
    (b"temperature = \"hot\"\n", "temperature must be a number, got str 'hot'"),
    (b"model = \"\xff\xfe\"\n", "not valid UTF-8"),
    (b"keys = 5\n", "[keys]"),
    (b'compress_strategy = "zip"\n', "compress_strategy must be one of"),
    (b"compress_trigger = 500.0\n", "compress_trigger must be between 1 and 100"),
    (b"compress_target = 0.0\n", "compress_target must be between 1 and 100"),
    (b"keep_last_turns = -1\n", "keep_last_turns must be a whole number between 0 and"),
    (b"reply_reserve = -5\n", "reply_reserve must be a whole number between 0 and"),
    (b"top_p = 7.0\n", "top_p must be above 0 and at most 1, got 7"),
    (b"warn_threshold = 150.0\n", "warn_threshold must be above 0 and at most 100"),
    (b"n_threads = 100000\n", "n_threads must be a whole number between 1 and 512, got 100000"),
    (b"n_batch = 0\n", "n_batch must be a whole number between 1 and"),
    (b"memory_interval = 1e300\n", "memory_interval must be between 0.01 and 60"),
    (b"temperature = nan\n", "temperature must be between 0 and 100, got nan"),
    (b"top_p = inf\n", "top_p must be above 0 and at most 1, got inf"),
    (b"seed = 99999999999999999999\n", "seed must be a whole number between -1 and 4294967295"),
    (b"max_tokens = 0\n", "max_tokens must be a whole number between 1 and"),
    (b"a = " + b"[" * 5000 + b"]" * 5000 + b"\n", "nested too deeply"),
    (b'profile = "a\\u0000b"\n', "profile is a path and cannot hold a NUL character"),
])
def test_broken_config(text, words):
    write_config(text)
    assert_one_clear_line(run_cli("run", "--prompt", "hi"), 2, words)


@pytest.mark.model
def test_n_ctx_beyond_memory_is_refused_before_loading():
    assert_one_clear_line(run_cli("run", "--prompt", "hi", "--n-ctx", "8000000"), 2, "of memory is free")


@pytest.mark.model
def test_n_ctx_above_training_is_a_warning_not_an_error():
    proc = run_cli("run", "--prompt", "hi", "--n-ctx", "9216", "--max-tokens", "2", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["context"]["n_ctx"] == 9216
    assert report["warnings"] == [f"n_ctx 9216 is above what {report['model']['name']} was trained on (8192)"]
    assert proc.stderr == f"contextwatch: warning: {report['warnings'][0]}\n"


@pytest.mark.model
def test_data_folder_that_cannot_be_written():
    assert_one_clear_line(run_cli("run", "--prompt", "hi", env={"XDG_DATA_HOME": "/dev/null/x"}), 2, "cannot be written")


@pytest.mark.model
@pytest.mark.parametrize("content, words", [
    ("[1, 2]", "role"), ("{\"role\": \"user\"}", "JSON list"), ("not json", "not valid JSON"),
    ("[{\"role\": \"wizard\", \"content\": \"x\"}]", "unknown role"),
    ("[{\"role\": \"user\", \"content\": \"\\ud800\"}]", "not valid Unicode"),
    ("[{\"role\": \"user\", \"content\": \"x\", \"pinned\": \"no\"}]", "pinned must be true or false"),
    pytest.param("[" * 100_000, "nested too deeply", id="nested-too-deeply"),
])
def test_malformed_history_files(tmp_path, content, words):
    path = tmp_path / "h.json"
    path.write_text(content)
    assert_one_clear_line(run_cli("run", "--prompt", "hi", "--history", str(path)), 2, words)


@pytest.mark.model
def test_history_with_invalid_utf8(tmp_path):
    path = tmp_path / "h.json"
    path.write_bytes(b'[{"role": "user", "content": "\xff"}]')
    assert_one_clear_line(run_cli("run", "--prompt", "hi", "--history", str(path)), 2, "not valid UTF-8")


@pytest.mark.model
def test_malformed_profile_file(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"format_version": 1, "tiers": "no"}')
    proc = run_cli("run", "--prompt", "hi", "--profile", str(path))
    assert_one_clear_line(proc, 2, str(path))


@pytest.mark.model
def test_prompt_with_nul_and_control_characters():
    proc = run_cli("run", "--prompt", "-", "--max-tokens", "4", "--json", stdin="Say \x00hi\x07 please\x1b[31m")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tokens"]["prompt"] > 5


@pytest.mark.model
def test_a_one_megabyte_prompt_is_refused_clearly():
    proc = run_cli("run", "--prompt", "-", "--n-ctx", "2048", stdin="lorem ipsum dolor " * 60_000)
    assert_one_clear_line(proc, 1, "shorten the prompt")


@pytest.mark.model
def test_invalid_utf8_on_stdin_is_replaced_not_fatal():
    proc = subprocess.run([sys.executable, "-m", "app", "run", "--prompt", "-", "--max-tokens", "2", "--json"],
                          input=b"Hello \xff\xfe world", capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr

"""`contextwatch run` end to end, in a subprocess, as a script would call it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from app.core.session.report import format_report


def run_cli(*args: str, stdin: str | None = None, env_dirs=None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        input=stdin, capture_output=True, text=True, timeout=300, env=env,
    )


@pytest.mark.model
def test_run_prints_every_field_of_the_report():
    proc = run_cli("run", "--prompt", "Hello", "--max-tokens", "50", "--seed", "1")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for label in (
        "Prompt tokens:", "Generated tokens:", "Total tokens:", "Context:", "Remaining tokens:",
        "Tier:", "Budget:", "TTFT:", "Current token latency:", "Rolling avg (last 20):", "Trend:",
        "Current memory:", "Peak memory:", "Total growth:", "Growth rate:", "Avg per token:",
        "System RAM:", "VRAM:", "Allocated: 90.00 MiB (f16/f16)", "Logged by llama.cpp: 90.00 MiB (agrees)",
        "Stop reason:", "Forecast: +", "budget full in", "KV cache hits:",
    ):
        assert label in out, f"{label!r} missing from:\n{out}"
    assert "llama_" not in out + proc.stderr, "llama.cpp's log must stay in the log file"
    assert proc.stderr == ""


@pytest.mark.model
def test_run_json_carries_the_same_figures():
    proc = run_cli("run", "--prompt", "Hello", "--max-tokens", "8", "--json", "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    tokens, context = report["tokens"], report["context"]
    assert tokens["total"] == tokens["prompt"] + tokens["generated"]
    assert 1 <= tokens["generated"] <= 8
    assert context["n_ctx"] == 4096
    assert context["used"] == tokens["total"]
    assert context["remaining"] == 4096 - tokens["total"]
    assert context["effective"] == 3481
    assert (context["tier"], context["tier_name"], context["size_label"]) == (1, "Minimal", "4K")
    assert report["kv_cache"]["allocated_bytes"] == report["kv_cache"]["logged_bytes"] == 90 * 1024 * 1024
    assert report["stop_reason"] in ("end_of_generation", "max_tokens")
    assert report["reply"].strip()
    assert report["memory"]["level"] in ("normal", "warning", "critical", "emergency")
    assert report["latency"]["ttft_ms"] > 0


@pytest.mark.model
def test_run_forecasts_from_the_turn_it_ran_and_reports_the_prefix_cache(tmp_path):
    history = tmp_path / "history.json"
    history.write_text(json.dumps([{"role": "user", "content": "Name a colour."},
                                   {"role": "assistant", "content": "Blue."}]))
    proc = run_cli("run", "--prompt", "Another one?", "--max-tokens", "8", "--json", "--temperature", "0",
                   "--history", str(history), "--auto-compress")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    forecast, hits, context, tokens = report["forecast"], report["cache_hits"], report["context"], report["tokens"]
    assert forecast["basis_turns"] == 1 and forecast["growth_per_turn"] > 0
    left = context["effective"] - context["used"]  # the forecast counts the history as re-rendered: a token or two apart
    assert abs(forecast["turns_to_full"] - left / forecast["growth_per_turn"]) < 1.5
    compress_at = forecast["compress_at_tokens"]
    assert compress_at == int(context["effective"] * 75 / 100)
    assert forecast["turns_to_compress"] <= forecast["turns_to_full"]
    assert hits["turn_prompt_tokens"] == tokens["reused"] + tokens["evaluated"]
    assert hits["turn_reused"] == tokens["reused"]
    assert hits["session_prompt_tokens"] == hits["turn_prompt_tokens"]


@pytest.mark.model
def test_threshold_warning_and_context_full_stop():
    proc = run_cli("run", "--prompt", "Write a very long essay about rivers.", "--n-ctx", "256",
                   "--max-tokens", "400", "--warn-threshold", "30", "--json", "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["context"]["threshold_crossed"] is True
    assert report["stop_reason"] in ("context_full", "end_of_generation")
    assert report["tokens"]["total"] <= 256


@pytest.mark.model
def test_prompt_from_stdin():
    proc = run_cli("run", "--prompt", "-", "--max-tokens", "4", "--json", stdin="Say yes.")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tokens"]["prompt"] > 5


@pytest.fixture
def bad_files(tmp_path):
    not_gguf = tmp_path / "notes.gguf"
    not_gguf.write_text("this is not a model\n" * 10)
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    unreadable = tmp_path / "locked.gguf"
    unreadable.write_bytes(b"GGUF")
    unreadable.chmod(0)
    return {"not_gguf": not_gguf, "empty": empty, "unreadable": unreadable,
            "dir": tmp_path, "missing": tmp_path / "nope.gguf"}


@pytest.fixture
def truncated_model(model_path, tmp_path):
    truncated = tmp_path / "truncated.gguf"
    with open(model_path, "rb") as fh:
        truncated.write_bytes(fh.read(2_000_000))
    return truncated


def assert_one_line_refusal(proc, code, words):
    assert proc.returncode == code
    assert words in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "kind, code, words",
    [
        ("missing", 2, "model not found"),
        ("dir", 2, "directory"),
        ("empty", 2, "empty"),
        ("not_gguf", 2, "not a GGUF"),
    ],
)
def test_bad_model_paths_give_one_clear_line(bad_files, kind, code, words):
    assert_one_line_refusal(run_cli("run", "--prompt", "hi", "--model", str(bad_files[kind])), code, words)


def test_a_truncated_model_gives_one_clear_line(truncated_model):
    assert_one_line_refusal(run_cli("run", "--prompt", "hi", "--model", str(truncated_model)), 2, "could not load")


def test_unreadable_model(bad_files):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    proc = run_cli("run", "--prompt", "hi", "--model", str(bad_files["unreadable"]))
    assert proc.returncode == 2 and "not readable" in proc.stderr


@pytest.mark.parametrize("value", ["0", "-5", "abc", "1.5"])
def test_bad_n_ctx_is_a_usage_error(value):
    proc = run_cli("run", "--prompt", "hi", f"--n-ctx={value}")
    assert proc.returncode == 2
    assert "--n-ctx" in proc.stderr and "positive integer" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


@pytest.mark.model
def test_prompt_that_cannot_fit_is_a_clear_runtime_error():
    proc = run_cli("run", "--prompt", "word " * 2000, "--n-ctx", "512")
    assert proc.returncode == 1
    assert "context holds" in proc.stderr
    assert "Traceback" not in proc.stderr and "llama_decode" not in proc.stderr


@pytest.mark.model
def test_empty_prompt_is_a_usage_error():
    proc = run_cli("run", "--prompt", "   ")
    assert proc.returncode == 2 and "empty" in proc.stderr


def short_turns_file(tmp_path, turns: int):
    messages = [{"role": "system", "content": "Be brief."}]
    for i in range(turns):
        messages += [{"role": "user", "content": f"Hi {i}"}, {"role": "assistant", "content": f"Hello {i}."}]
    path = tmp_path / "history.json"
    path.write_text(json.dumps(messages))
    return path


@pytest.mark.model
def test_compress_that_cannot_make_room_is_refused_in_one_line(tmp_path):
    proc = run_cli("run", "--prompt", "Hi", "--n-ctx", "1024", "--history", str(short_turns_file(tmp_path, 80)),
                   "--compress", "head")
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.strip().splitlines() if "memory level" not in line]
    assert len(lines) == 1, proc.stderr
    assert "--compress head cannot make room: no message is long enough to cut" in lines[0]
    assert "sliding" in lines[0] and "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.model
def test_compress_that_falls_short_says_so_and_answers_when_the_prompt_fits(tmp_path):
    proc = run_cli("run", "--prompt", "Hi", "--n-ctx", "1024", "--history", str(short_turns_file(tmp_path, 30)),
                   "--compress", "middle", "--max-tokens", "4", "--temperature", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.strip().splitlines() if "memory level" not in line]
    assert len(lines) == 1 and lines[0].startswith("contextwatch: warning: --compress middle: no message is long enough")
    assert "sliding" in lines[0] and lines[0].endswith("going on, since the prompt fits")
    report = json.loads(proc.stdout)
    assert lines[0].removeprefix("contextwatch: warning: ") in report["warnings"]
    assert report["compression"]["compressions"] == 0 and report["stop_reason"] != "context_full"


def long_history_file(tmp_path, turns: int):
    topics = ("rivers", "mountains", "forests", "deserts", "oceans", "glaciers", "islands", "volcanoes", "lakes")
    messages = [{"role": "system", "content": "Be brief."}]
    for i in range(turns):
        topic = topics[i % len(topics)]
        messages += [{"role": "user", "content": f"Tell me one thing about {topic}, question {i}."},
                     {"role": "assistant", "content": f"Here is one thing about {topic}: they are found in many "
                                                      f"places around the world and change over long periods of "
                                                      f"time, answer {i}."}]
    path = tmp_path / "long.json"
    path.write_text(json.dumps(messages))
    return path


def write_config(tmp_path, **values) -> None:
    folder = tmp_path / "config" / "contextwatch"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text("".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items()))


@pytest.mark.model
def test_run_json_reports_shifted_tokens_after_a_sliding_window_and_growth_records_them(tmp_path):
    """A snapshot holds a long history in the KV cache; the next run's sliding window shifts what it keeps."""
    write_config(tmp_path, auto_compress=False, compress_strategy="sliding", compress_trigger=50, kv_shift="auto")
    common = ("--n-ctx", "1024", "--max-tokens", "4", "--temperature", "0", "--json")
    first = run_cli("run", "--prompt", "And one more?", "--history", str(long_history_file(tmp_path, 12)),
                    "--save-snapshot", "long", *common)
    assert first.returncode == 0, first.stderr
    before = json.loads(first.stdout)
    assert before["snapshot"]["kv_saved"] and before["tokens"]["shifted"] == 0

    proc = run_cli("run", "--prompt", "Thanks!", "--resume", "long", "--auto-compress", *common)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    tokens = report["tokens"]
    assert report["compression"]["last"]["strategy"] == "sliding"
    assert tokens["shifted"] > 0 and tokens["cache_dropped"] > 0
    assert tokens["reused"] + tokens["shifted"] + tokens["evaluated"] == tokens["prompt"]
    assert tokens["evaluated"] < tokens["shifted"]  # the new question and the turn before it, not the kept history
    assert report["compression"]["last"]["shifted"] == tokens["shifted"]
    hits = report["cache_hits"]
    assert hits["turn_reused"] == tokens["reused"] + tokens["shifted"]
    assert hits["turn_prompt_tokens"] == tokens["prompt"]
    assert report["context_shifts"] is None and report["context"]["used"] == tokens["total"]

    text = format_report(report)
    assert f"{tokens['shifted']:,} shifted (past {tokens['cache_dropped']:,} dropped)" in text
    assert "(reused or shifted)" in text
    assert (f"KV cache {tokens['reused']:,} reused, {tokens['shifted']:,} shifted, {tokens['evaluated']:,} "
            "re-evaluated in") in text  # the last compression's line: its cache was synced by this turn

    growth = run_cli("growth", "--sort", "time", "--limit", "1", "--min-growth", "-100000", "--json")  # it shrank
    assert growth.returncode == 0, growth.stderr
    row = json.loads(growth.stdout)["turns"][0]
    assert (row["prompt"], row["reused"], row["shifted"], row["evaluated"], row["context_shifts"]) == (
        "Thanks!", tokens["reused"], tokens["shifted"], tokens["evaluated"], 0)
    assert row["context_after"] == tokens["total"] and row["compression"] == "sliding"

    write_config(tmp_path, auto_compress=False, compress_strategy="sliding", compress_trigger=50, kv_shift="off")
    exact = json.loads(run_cli("run", "--prompt", "Thanks!", "--resume", "long", "--auto-compress", *common).stdout)
    assert exact["tokens"]["prompt"] == tokens["prompt"] and exact["tokens"]["shifted"] == 0
    assert exact["tokens"]["reused"] == tokens["reused"]
    assert exact["tokens"]["evaluated"] == tokens["shifted"] + tokens["evaluated"]


@pytest.mark.model
def test_a_reply_that_shifts_a_full_context_is_reported_and_recorded(tmp_path):
    write_config(tmp_path, on_full="shift")
    proc = run_cli("run", "--prompt", "Write a very long essay about rivers.", "--n-ctx", "256", "--max-tokens", "400",
                   "--temperature", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    shifts, tokens, context = report["context_shifts"], report["tokens"], report["context"]
    if report["stop_reason"] == "end_of_generation" and shifts is None:
        pytest.skip("the model ended its reply before the context was full")
    assert shifts["count"] >= 1 and shifts["dropped"] > 0 and shifts["on_full"] == "shift"
    assert len(shifts["at_reply_tokens"]) == shifts["count"]
    assert tokens["total"] > 256 >= context["used"]
    assert context["used"] == tokens["total"] - shifts["dropped"]
    assert "Full context: the reply made room" in format_report(report)

    row = json.loads(run_cli("growth", "--sort", "time", "--limit", "1", "--json").stdout)["turns"][0]
    assert row["context_shifts"] == shifts["count"] and row["context_after"] == context["used"]

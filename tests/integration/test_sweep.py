"""`contextwatch sweep` on the real SmolLM2, in a subprocess as a script would call it."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess
import sys
import threading

import pytest

from app.core.sweep.run import SweepPoint, SweepResult, run_sweep

FIELDS = [f.name for f in dataclasses.fields(SweepResult)]


def sweep_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "sweep", *args], capture_output=True, text=True, timeout=600,
    )


@pytest.fixture(scope="module")
def json_sweep():
    proc = sweep_cli("--n-ctx", "1024,512", "--fill", "0.5", "--json")
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.model
def test_json_has_every_field_for_each_size(json_sweep):
    data = json.loads(json_sweep.stdout)
    assert [item["n_ctx"] for item in data] == [512, 1024]
    for item in data:
        assert list(item) == FIELDS
        assert (item["type_k"], item["type_v"], item["flash_attn"]) == ("f16", "f16", False)
        assert item["fill_tokens"] == item["n_ctx"] // 2
        assert item["n_ctx_train"] == 8192
        assert item["question_tokens"] > 0 and item["decode_tokens"] >= 1
        assert item["ttft_ms"] > 0 and item["prefill_tps"] > 0 and item["load_seconds"] > 0
        assert item["rss_after_load_bytes"] > 0 and item["rss_after_fill_bytes"] > 0


@pytest.mark.model
def test_kv_bytes_double_and_match_the_log(json_sweep):
    small, large = json.loads(json_sweep.stdout)
    assert small["kv_bytes_computed"] == 30 * 512 * 3 * 64 * 2 * 2
    assert large["kv_bytes_computed"] == 2 * small["kv_bytes_computed"]
    for item in (small, large):
        assert abs(item["kv_bytes_logged"] - item["kv_bytes_computed"]) <= 0.01 * item["kv_bytes_computed"]
        assert item["kv_agrees"] is True


@pytest.mark.model
def test_piped_stderr_gets_no_progress_and_the_log_stays_in_its_file(json_sweep):
    assert json_sweep.stderr == ""
    assert "llama_" not in json_sweep.stdout


@pytest.mark.model
def test_csv_has_every_field_and_a_quantized_cache_runs_with_flash_attention():
    proc = sweep_cli("--n-ctx", "256", "--fill", "0.25", "--cache-type", "q8_0", "--csv")
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    assert rows[0] == FIELDS and len(rows) == 2
    row = dict(zip(rows[0], rows[1]))
    assert (row["n_ctx"], row["type_k"], row["type_v"], row["flash_attn"]) == ("256", "q8_0", "q8_0", "true")
    assert int(row["kv_bytes_computed"]) == 30 * 256 * 2 * (3 * 64 // 32 * 34)
    assert row["kv_agrees"] == "true"


@pytest.mark.model
def test_text_mode_prints_the_table_and_both_charts():
    proc = sweep_cli("--n-ctx", "256", "--fill", "0.2")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for words in ("n_ctx", "KV computed", "KV logged", "Decode tok/s", "5.62 MiB",
                  "Memory against n_ctx", "Speed against n_ctx", "n_ctx (log scale)"):
        assert words in out, out
    assert "sweep " not in out


@pytest.mark.parametrize(
    "args, words",
    [
        (["--n-ctx", "1000"], "n_ctx 1000 is not a multiple of 256"),
        (["--n-ctx", "0"], "n_ctx must be a positive integer, got 0"),
        (["--n-ctx", "512,big"], "n_ctx must be a positive integer, got 'big'"),
        (["--n-ctx", "512", "--cache-type", "q3_x"], "unknown KV cache type 'q3_x'; valid types:"),
        (["--n-ctx", "512", "--fill", "1.5"], "fill must be between 0 and 1"),
    ],
)
def test_bad_input_is_refused_with_one_clear_line(args, words):
    proc = sweep_cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("contextwatch: error: ") and words in proc.stderr


def test_cancel_stops_after_the_current_stage(model_path, log_file):
    cancel = threading.Event()
    seen = []

    def progress(done: int, total: int, label: str) -> None:
        seen.append((done, total, label))
        if "prefill" in label:
            cancel.set()

    points = [SweepPoint(256), SweepPoint(512)]
    assert run_sweep(model_path, points, 0.5, progress, cancel) == []
    assert [s[:2] for s in seen] == [(0, 6), (1, 6)]
    assert seen[1][2] == "n_ctx 256 f16/f16: prefill 128 tokens"

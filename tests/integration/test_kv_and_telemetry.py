"""Telemetry on the real model: KV bytes against llama.cpp's own log, auto-sizing, the session."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from app.core.config.settings import Settings
from app.core.engine.llama.engine import LlamaEngine
from app.core.engine.load_options import LoadOptions
from app.core.session.session import Session
from app.core.telemetry.kv_cache import KVCacheModel, kv_bytes


@pytest.mark.parametrize(
    "n_ctx, type_k, type_v, flash",
    [(2048, "f16", "f16", False), (4096, "f16", "f16", False), (4096, "q8_0", "f16", False), (2048, "q8_0", "q8_0", True)],
)
def test_computed_kv_bytes_equal_the_logged_size(model_path, log_file, n_ctx, type_k, type_v, flash):
    engine = LlamaEngine()
    try:
        info = engine.load(LoadOptions(path=model_path, n_ctx=n_ctx, type_k=type_k, type_v=type_v, flash_attn=flash))
        computed = kv_bytes(info.n_layer, engine.n_ctx, info.n_head_kv, info.head_dim_k, info.head_dim_v, type_k, type_v)
        assert engine.logged_kv_bytes is not None
        assert abs(computed - engine.logged_kv_bytes) <= 0.01 * computed
        model = KVCacheModel(info.n_layer, engine.n_ctx, info.n_head_kv, info.head_dim_k, info.head_dim_v,
                             type_k, type_v, logged_bytes=engine.logged_kv_bytes)
        assert model.info(100).agrees is True
        if (n_ctx, type_k, type_v) == (4096, "f16", "f16"):
            assert computed == 90 * 1024 * 1024
    finally:
        engine.close()


def test_kv_doubles_with_n_ctx():
    assert kv_bytes(30, 4096, 3, 64, 64) == 2 * kv_bytes(30, 2048, 3, 64, 64)


def test_llama_log_goes_to_the_file_not_the_terminal(log_file, engine):
    text = log_file.read_text()
    assert "KV buffer size" in text
    assert oct(log_file.stat().st_mode & 0o777) == "0o600"


def test_session_turn_numbers_add_up(model_path, log_file):
    events = []
    session = Session(Settings(n_ctx=1024, temperature=0.0, max_tokens=16), model_path, sink=events.append)
    try:
        session.load()
        result = session.submit("Hello there, who are you?")
        usage = result.usage
        assert result.total_tokens == result.prompt_tokens + result.generated_tokens
        assert usage.n_ctx == 1024
        assert usage.effective == 870 and usage.size_label == "1K" and usage.tier == 1
        assert usage.used == sum([usage.breakdown.system, usage.breakdown.user, usage.breakdown.assistant,
                                  usage.breakdown.summaries, usage.breakdown.in_flight])
        assert usage.breakdown.assistant > 0 and usage.breakdown.user > 0 and usage.breakdown.system > 0
        tokens = [e for e in events if type(e).__name__ == "TokenEvent"]
        assert len(tokens) == result.generated_tokens
        assert [t.index for t in tokens] == list(range(1, len(tokens) + 1))
        dashboards = [e for e in events if type(e).__name__ == "DashboardUpdate"]
        used_during = [d.usage.used for d in dashboards]
        assert used_during == sorted(used_during[: len(tokens) + 1]) + used_during[len(tokens) + 1 :]
        assert result.latency.ttft_ms > 0 and result.latency.n_tokens == result.generated_tokens
        assert result.memory.rss_bytes > 50 * 1024 * 1024
        assert result.kv.allocated_bytes == kv_bytes(30, 1024, 3, 64, 64)
        second = session.submit("Tell me one more thing.")
        assert second.sync.reused >= result.prompt_tokens
    finally:
        session.close()


def test_the_forecast_and_the_cache_hits_follow_the_turns_as_they_ran(model_path, log_file):
    session = Session(Settings(n_ctx=1024, temperature=0.0, max_tokens=16), model_path, sink=lambda e: None)
    try:
        session.load()
        context = [session.dashboard().usage.used]
        turns = []
        for question in ("Hello there, who are you?", "Tell me one more thing.", "And a third?"):
            turns.append(session.submit(question))
            context.append(session.dashboard().usage.used)
        dash = session.dashboard()
        growth = [b - a for a, b in zip(context, context[1:])]
        assert dash.forecast.growth_per_turn == pytest.approx(sum(growth) / 3)
        assert dash.forecast.turns_to_full == math.ceil((870 - context[-1]) / dash.forecast.growth_per_turn)
        assert dash.forecast.compress_at == int(870 * 0.75)
        prompts = [t.sync.reused + t.sync.evaluated for t in turns]
        assert [h for _, h in dash.cache_hits.by_turn] == pytest.approx(
            [100 * t.sync.reused / p for t, p in zip(turns, prompts)])
        assert dash.cache_hits.session_percent == pytest.approx(100 * sum(t.sync.reused for t in turns) / sum(prompts))
        assert dash.cache_hits.turn_percent > 50  # the third turn's prompt is mostly the two before it
        session.regenerate(len(session.conversation) - 1)
        assert session.dashboard().forecast.basis_turns == 3  # a regenerated reply is not a turn of growth
    finally:
        session.close()


@pytest.mark.model
def test_run_with_auto_n_ctx_reports_its_reason():
    proc = subprocess.run(
        [sys.executable, "-m", "app", "run", "--prompt", "Hi", "--max-tokens", "4", "--n-ctx", "auto", "--json"],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    reason = report["context"]["auto_n_ctx"]
    n_ctx = report["context"]["n_ctx"]
    assert reason.startswith(report["context"]["size_label"] + ":")
    assert n_ctx in (2048, 4096)  # SmolLM2 trains on 8K; one tier below the largest that fits
    assert "free" in reason


def test_turns_are_recorded_in_the_growth_database(model_path, log_file):
    from app.core.growth.store import GrowthStore

    session = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=12), model_path)
    session.load()
    try:
        first = session.submit("Name a colour.")
        second = session.submit("Name a fruit, please, and explain why it is tasty in detail.")
        sid = session.growth_session
        system_only = len(session.engine.prompt_ids([session.conversation.messages[0].as_chat()],
                                                    add_generation_prompt=False))
    finally:
        session.close()
    store = GrowthStore()
    rows = sorted(store.top_growth(limit=None, min_growth=None, session_id=sid, sort="time"), key=lambda r: r.turn_index)
    assert len(rows) == 2
    for row, result in zip(rows, (first, second)):
        assert row.input_tokens == result.prompt_tokens
        assert row.context_after == result.prompt_tokens + result.generated_tokens
        assert (row.reused, row.evaluated) == (result.sync.reused, result.sync.evaluated)
        assert row.growth == row.context_after - row.context_before
    assert rows[0].context_before == system_only
    assert rows[1].context_before > rows[0].context_after - 3
    stats = store.session_stats(sid)
    assert stats.turns == 2
    assert stats.total_growth == sum(r.growth for r in rows)
    assert stats.peak_context == rows[1].context_after
    store.close()

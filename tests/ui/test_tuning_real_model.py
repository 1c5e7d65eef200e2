"""Compression, live reload and the sweep from the app, on the real SmolLM2 model and engine thread."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Select

from app.core.config.settings import Settings
from app.core.conversations.conversation import Message
from app.core.engine.llama.engine import LlamaEngine
from app.core.session.commands import PreviewCompression
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.context_size import ContextSizeScreen
from app.ui.screens.sweep import SweepScreen
from app.ui.screens.sweep_run import SweepSetupScreen
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.compression_controls import CompressionControls
from app.ui.widgets.compression_panel import CompressionPanel
from app.ui.widgets.history_pane import HistoryPane
from app.ui.widgets.reload_compare import ReloadComparePanel
from app.ui.widgets.status_line import StatusLine
from engine_gate import EngineGate, sync_start
from harness import SIZE, StatusLog, async_test, settle, wait_for
from scripted_command import Scripted

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
WORK_TIMEOUT = 120.0

TOPICS = ("the tides of the sea", "how bread rises", "why the sky is blue", "how a bicycle stays upright",
          "what a compiler does", "how bees find flowers")


def real_app(model_path, gate: EngineGate | None = None, **overrides) -> ContextWatchApp:
    options = {"n_ctx": 1024, "max_tokens": 16, "temperature": 0.0, "seed": 7, **overrides}
    settings = Settings(**options)

    def session(sink) -> Session:
        return Session(settings, model_path, sink=sink, engine=gate.engine() if gate is not None else LlamaEngine())

    return ContextWatchApp(settings, session)


def chat(turns: int) -> list[Message]:
    """A made-up conversation of `turns` question/answer pairs, about 90 tokens per answer."""
    messages = []
    for topic in TOPICS[:turns]:
        messages.append(Message("user", f"Please explain {topic} in a few sentences."))
        messages.append(Message("assistant", " ".join(
            f"Here is one more plain fact about {topic}, said simply and in order." for _ in range(6))))
    return messages


async def seed(pilot, turns: int) -> None:
    """Once the model has loaded, continue a saved conversation and bring the KV cache in line with it."""
    app = pilot.app
    assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
    history = chat(turns)
    app.run_command(Scripted("seed", lambda s: (s.load_history(history), s.resync())))
    assert await wait_for(pilot, lambda: not app.engine_state.pending, WORK_TIMEOUT)
    await settle(pilot)


def contents(app) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in app.messages()]


@async_test
async def test_sliding_compression_reuses_the_prefix_and_undo_restores_the_history(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        await seed(pilot, 6)
        before = contents(app)
        await pilot.press("f2", "c")  # sliding window is the strategy chosen at first
        assert await wait_for(pilot, lambda: isinstance(app.screen, CompressionPreviewScreen), WORK_TIMEOUT)
        plan = app.screen.plan
        assert plan.strategy == "sliding" and plan.changed and plan.tokens_after < plan.tokens_before
        await pilot.press("a")
        controls = app.main.query_one(CompressionControls)
        assert await wait_for(pilot, lambda: "applied" in str(controls.result) and not app.engine_state.pending,
                              WORK_TIMEOUT)
        await settle(pilot)
        assert len(app.messages()) == len(plan.after) < len(before)
        sync = app.main.query_one(HistoryPane).last_sync
        assert sync.reused > 0  # the system prompt stays in the KV cache
        assert 0 < sync.evaluated < plan.tokens_after
        assert sync.shifted > 0  # the kept turns moved down instead of being read again
        assert f"{sync.reused} reused · {sync.shifted} shifted · {sync.evaluated} re-evaluated" in str(controls.result)
        stats = app.main.query_one(CompressionPanel).stats
        assert stats.compressions == 1 and stats.tokens_saved == plan.saved
        assert (stats.last.reused, stats.last.evaluated) == (sync.reused, sync.evaluated)

        await pilot.press("u")
        assert await wait_for(pilot, lambda: "undone" in str(controls.result) and not app.engine_state.pending,
                              WORK_TIMEOUT)
        await settle(pilot)
        assert contents(app) == before
        assert app.main.query_one("#compress-undo").disabled


@async_test
async def test_a_reload_at_another_size_keeps_the_conversation_and_shows_before_and_after(model_path, monkeypatch):
    log = StatusLog(monkeypatch)
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        await seed(pilot, 1)
        before = contents(app)
        start = len(log.shown)
        await pilot.press("f10")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ContextSizeScreen), WORK_TIMEOUT)
        sizes = app.screen.query_one(OptionList)
        assert str(sizes.get_option_at_index(sizes.highlighted).id) == "2048"  # the next size up
        await pilot.press("enter")
        panel = app.main.query_one(ReloadComparePanel)
        assert await wait_for(pilot, lambda: panel.outcome is not None and not app.engine_state.pending, WORK_TIMEOUT)
        await settle(pilot)
        outcome = panel.outcome
        assert (outcome.before.n_ctx, outcome.after.n_ctx) == (1024, 2048)
        assert outcome.after.kv_bytes == 2 * outcome.before.kv_bytes
        assert outcome.after.effective > outcome.before.effective
        assert outcome.reevaluated > 0
        assert contents(app) == before
        assert "n_ctx 2,048" in app.sub_title
        assert app.session.engine.n_ctx == 2048
    during = log.texts()[start:]
    assert "reload: model loaded at n_ctx 2,048 · working…" in during
    total = outcome.reevaluated
    assert f"reload · re-reading the conversation · {total:,} / {total:,} tokens" in during
    assert during[-1] == "ready"
    assert not log.ready_while_busy()


@async_test
async def test_a_reload_to_a_smaller_size_compresses_after_a_preview(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        await seed(pilot, 5)
        n_before = len(app.messages())
        await pilot.press("f10")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ContextSizeScreen), WORK_TIMEOUT)
        app.screen.query_one("#context-strategy", Select).value = "sliding"
        app.screen.query_one("#context-typed", Input).value = "512"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CompressionPreviewScreen), WORK_TIMEOUT)
        plan = app.screen.plan
        assert plan.strategy == "sliding" and plan.changed
        await pilot.press("a")
        panel = app.main.query_one(ReloadComparePanel)
        assert await wait_for(pilot, lambda: panel.outcome is not None and not app.engine_state.pending, WORK_TIMEOUT)
        assert panel.outcome.after.n_ctx == 512
        assert len(app.messages()) == len(plan.after) < n_before
        assert app.session.conversation.checkpoints  # the compression can be undone


@async_test
async def test_a_sweep_from_the_app_measures_each_size(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await pilot.press("f12")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepSetupScreen), WORK_TIMEOUT)
        app.screen.query_one("#sweep-sizes", Input).value = "256,512"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen), WORK_TIMEOUT)
        await settle(pilot)
        results = app.screen.results
        assert [r.n_ctx for r in results] == [256, 512]
        assert results[1].kv_bytes_computed == 2 * results[0].kv_bytes_computed
        assert all(r.kv_agrees for r in results)
        assert app.screen.query_one("#sweep-table").row_count == 2


@async_test
async def test_esc_while_auto_compression_summarizes_keeps_the_history_and_gives_the_prompt_back(
        model_path, monkeypatch):
    gate = EngineGate()
    log = StatusLog(monkeypatch)
    app = real_app(model_path, gate, auto_compress=True, compress_strategy="hybrid", compress_trigger=50,
                   reply_reserve=128)
    async with app.run_test(size=SIZE) as pilot:
        await seed(pilot, 6)
        before = contents(app)
        question = "And how do bees dance?"
        app.main.query_one(ChatInput).insert(question)
        with gate:
            gate.hold(sync_start)  # the first prompt of the turn is the summary's
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: gate.held is not None and app.engine_state.generating, WORK_TIMEOUT)
            assert gate.held.caller == "app.core.compression.summarizer"
            await pilot.press("escape")
            gate.release()
        assert await wait_for(pilot, lambda: not app.engine_state.pending, WORK_TIMEOUT)
        await settle(pilot)
        assert contents(app) == before, "no half-written summary replaces the old turns"
        assert app.main.query_one(ChatInput).text == question
        assert app.main.query_one(StatusLine).text == "submit cancelled"
        assert not app.session.conversation.checkpoints
    assert any(t.startswith("proactive compression with ") and "the model writes a summary" in t
               for t in log.texts())
    assert not log.ready_while_busy()


@async_test
async def test_esc_cancels_a_summary_preview(model_path):
    gate = EngineGate()
    app = real_app(model_path, gate)
    async with app.run_test(size=SIZE) as pilot:
        await seed(pilot, 6)
        before = contents(app)
        with gate:
            gate.hold(sync_start)
            app.preview_compression("summarize")
            assert "Esc cancels" in str(app.main.query_one(CompressionControls).result)
            assert await wait_for(pilot, lambda: gate.held is not None and isinstance(app.engine_state.command, PreviewCompression), WORK_TIMEOUT)
            assert gate.held.caller == "app.core.compression.summarizer"
            await pilot.press("escape")
            gate.release()
        assert await wait_for(pilot, lambda: not app.engine_state.pending, WORK_TIMEOUT)
        await settle(pilot)
        assert not isinstance(app.screen, CompressionPreviewScreen)
        assert str(app.main.query_one(CompressionControls).result) == "compression preview cancelled: nothing changed"
        assert contents(app) == before

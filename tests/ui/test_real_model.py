"""Pilot tests on the real SmolLM2 model, through the real Session and engine thread."""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.events import DashboardUpdate, StopReason
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.context_gauge import ContextGauge
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from app.ui.widgets.history_pane import HistoryPane
from app.ui.widgets.status_line import StatusLine
from engine_gate import EngineGate, sync_start
from harness import SIZE, StatusLog, async_test, settle, wait_for

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0
SCREEN_TIMEOUT = 10.0


def real_app(model_path, gate: EngineGate | None = None, **overrides) -> ContextWatchApp:
    options = {"n_ctx": 1024, "max_tokens": 24, "temperature": 0.0, "seed": 7, **overrides}
    settings = Settings(**options)
    if gate is None:
        return ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))
    return ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=gate.sink(sink),
                                                          engine=gate.engine()))


def dashboard_after(tokens: int):
    """The first dashboard that counts at least `tokens` tokens of the reply."""
    return lambda event: isinstance(event, DashboardUpdate) and event.usage.breakdown.in_flight >= tokens


def streamed_text(app) -> str:
    replies = app.main.query(StreamingReply)
    return replies.first().text if replies else ""


async def send(pilot, text: str) -> None:
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")


@async_test
async def test_reply_streams_and_the_gauge_rises_during_the_turn(model_path):
    gate = EngineGate()
    app = real_app(model_path, gate, max_tokens=48)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        gauge = app.main.query_one(ContextGauge)
        frames: list[tuple[float, str]] = []  # (gauge percent, streamed text) with the engine held mid-reply
        with gate:
            gate.hold(dashboard_after(1))
            await send(pilot, "Write a short poem about the sea.")
            for later in (8, None):
                assert await wait_for(pilot, lambda: gate.held is not None, TURN_TIMEOUT)
                held = gate.held
                tokens = held.usage.breakdown.in_flight
                assert await wait_for(pilot, lambda held=held, tokens=tokens: gauge.usage == held.usage and app.turn_tokens == tokens,
                                      SCREEN_TIMEOUT)
                assert app.last_stop is None
                frames.append((gauge.usage.percent, streamed_text(app)))
                if later is not None:
                    gate.hold(dashboard_after(later))
                gate.release()
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.runner.busy, TURN_TIMEOUT)
        await settle(pilot)
        (first_percent, first_text), (second_percent, second_text) = frames
        assert first_percent < second_percent  # the gauge moved while tokens streamed
        assert first_text and second_text.startswith(first_text) and len(second_text) > len(first_text)
        assert len(app.main.query(ReplyBlock)) == 1
        assert app.last_stop in (StopReason.MAX_TOKENS, StopReason.EOG)


@async_test
async def test_escape_cancels_generation(model_path):
    app = real_app(model_path, max_tokens=400)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send(pilot, "Tell me a very long story about a dragon and a knight, with many details.")
        assert await wait_for(pilot, lambda: app.turn_tokens >= 3, TURN_TIMEOUT, step=0.005)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.last_stop is not None, TURN_TIMEOUT)
        assert app.last_stop is StopReason.CANCELLED


@async_test
async def test_escape_before_the_first_token_gives_the_message_back(model_path):
    gate = EngineGate()
    app = real_app(model_path, gate, n_ctx=2048)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        before = [(m.role, m.content) for m in app.messages()]
        question = "Please read all of this. " + "The river runs past the old mill and under the bridge. " * 60
        with gate:
            gate.hold(sync_start)  # the engine stops as it starts to read the prompt
            await send(pilot, question)
            assert await wait_for(pilot, lambda: gate.held is not None and app.engine_state.generating, TURN_TIMEOUT)
            assert gate.held.caller == "app.core.session.session"
            await pilot.press("escape")
            gate.release()
        assert await wait_for(pilot, lambda: not app.engine_state.pending, TURN_TIMEOUT)
        await settle(pilot)
        assert app.last_stop is StopReason.CANCELLED
        assert [(m.role, m.content) for m in app.messages()] == before, "no question left without a reply"
        assert app.main.query_one(ChatInput).text == question
        assert "back in the input" in app.main.query_one(StatusLine).text


@async_test
async def test_editing_a_message_re_evaluates_only_the_suffix(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send(pilot, "Name three colours.")
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.runner.busy, TURN_TIMEOUT)
        await settle(pilot)
        pane = app.main.query_one(HistoryPane)
        before = pane.last_sync

        await pilot.press("f2", "up", "e")  # the user message, one above the reply
        await settle(pilot)
        editor = app.screen.query_one("#edit-text")
        editor.move_cursor(editor.document.end)
        editor.insert(" Answer in one word each.")
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: pane.last_sync is not before and not app.runner.busy, TURN_TIMEOUT)
        sync = pane.last_sync
        total = sync.reused + sync.evaluated
        assert sync.reused > 0
        assert 0 < sync.evaluated < total
        assert app.messages()[1].content.endswith("Answer in one word each.")


@async_test
async def test_a_message_sent_while_loading_waits_ready_shows_only_when_idle_and_f7_copies_the_reply(
        model_path, monkeypatch):
    log = StatusLog(monkeypatch)
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Name three colours.")  # before the model has loaded: the message waits in the queue
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.engine_state.pending,
                              LOAD_TIMEOUT + TURN_TIMEOUT)
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        reply = app.messages()[-1]
        assert reply.role == "assistant" and app.clipboard == reply.content
        assert f"copied {len(reply.content):,} characters (the last reply)" in [n.message for n in app._notifications]
    texts = log.texts()
    assert "queued: the message goes out once the model has loaded" in texts
    assert any(t.startswith("reading the prompt · ") and t.endswith(" tokens") for t in texts)
    assert not log.ready_while_busy()

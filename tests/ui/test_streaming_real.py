"""The real model: a reply streams as Markdown, Esc cancels it, and its box says where it was cut."""

from __future__ import annotations

import pytest
from textual.widgets.markdown import MarkdownBlock

from app.core.config.settings import Settings
from app.core.events import DashboardUpdate, StopReason
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from engine_gate import EngineGate
from harness import SIZE, async_test, settle, wait_for

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0


def dashboard_after(tokens: int):
    return lambda event: isinstance(event, DashboardUpdate) and event.usage.breakdown.in_flight >= tokens


@async_test
async def test_a_streamed_reply_cancelled_with_escape_keeps_its_text_and_says_it_was_cancelled(model_path):
    settings = Settings(n_ctx=1024, max_tokens=300, temperature=0.0, seed=7)
    gate = EngineGate()
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=gate.sink(sink),
                                                         engine=gate.engine()))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        with gate:
            gate.hold(dashboard_after(12))
            app.main.query_one(ChatInput).insert("Tell me a long story about a lighthouse keeper.")
            await pilot.press("enter")
            assert await wait_for(pilot, lambda: gate.held is not None, TURN_TIMEOUT)
            streaming = app.main.query_one(StreamingReply)
            assert await wait_for(pilot, lambda: app.turn_tokens >= 12 and bool(streaming.query(MarkdownBlock)), 10)
            assert streaming.border_title == "assistant · generating"
            shown = " ".join(b._content.plain for b in streaming.query(MarkdownBlock) if b._content.plain)
            assert shown.split() and shown.split()[0] in streaming.text, "the streamed text is on screen as Markdown"
            await pilot.press("escape")
            gate.release()
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.engine_state.pending, TURN_TIMEOUT)
        await settle(pilot)
        assert app.last_stop is StopReason.CANCELLED
        reply = app.messages()[-1]
        n = reply.metrics["generated_tokens"]
        assert reply.role == "assistant" and reply.metrics["stop_reason"] == "cancelled" and 12 <= n < 300
        box = app.main.query(ReplyBlock).last()
        assert box is streaming, "the streamed box stays as the reply: nothing jumps when the turn ends"
        assert box.border_title == f"assistant · cancelled at {n:,} tokens"
        assert box.source == reply.content

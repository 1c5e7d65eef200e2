"""The status line tells the truth: "ready" only when the engine thread has nothing running or queued."""

from __future__ import annotations

import threading

import pytest

from app.core.errors import Cancelled, ContextWatchError
from app.core.session.commands import TogglePin
from app.core.session.runner import EngineRunner
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.status_line import StatusLine
from harness import SIZE, StatusLog, async_test, fake_app, settle, wait_for
from scripted_command import Scripted


@async_test
async def test_a_message_sent_while_loading_is_shown_queued_after_the_load_never_ready(monkeypatch):
    log = StatusLog(monkeypatch)
    gate = threading.Event()
    app = fake_app(runner=EngineRunner, load_gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: "loaded in" in app.sub_title)
        status = app.main.query_one(StatusLine)
        assert (status.text, status.busy) == ("load: model loaded at n_ctx 2,048 · working…", True)
        app.main.query_one(ChatInput).insert("Hello")
        await pilot.press("enter")
        gate.set()
        assert await wait_for(pilot, lambda: app.engine_state.loaded and not app.engine_state.pending and app.last_stop is not None)
        await settle(pilot)
        assert status.text.startswith("done · ") and not status.busy
    assert ("model loaded · 1 command queued", True, 1, None) in log.shown
    assert not log.ready_while_busy()


@async_test
async def test_an_emergency_compression_in_a_turn_shows_the_conversation_being_re_read(monkeypatch):
    log = StatusLog(monkeypatch)
    app = fake_app(compress_in_turn="emergency")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.query_one(ChatInput).insert("What is a context window?")
        await pilot.press("enter")
        await settle(pilot)
        sync = app.main.query_one("#history").last_sync
    texts = log.texts()
    compressing = "emergency compression with sliding window… · Esc cancels"
    assert compressing in texts and texts.index(compressing) < texts.index("generating · Esc cancels")
    rereads = [(text, busy, running) for text, busy, _, running in log.shown if "re-reading" in text]
    total = sync.evaluated
    assert rereads == [
        (f"emergency compression · re-reading the conversation · {(total + 1) // 2:,} / {total:,} tokens", True, "submit"),
        (f"emergency compression · re-reading the conversation · {total:,} / {total:,} tokens", True, "submit"),
    ]
    assert not log.ready_while_busy()


def _fails(_session):
    raise ContextWatchError("the disk is full")


def _cancelled(_session):
    raise Cancelled("stopped")


@async_test
async def test_a_failed_or_cancelled_command_with_others_queued_says_so_and_ready_comes_last(monkeypatch):
    log = StatusLog(monkeypatch)
    app = fake_app(runner=EngineRunner)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        start = len(log.shown)
        app.run_command(Scripted("export", _fails))
        app.run_command(Scripted("probe", _cancelled))
        app.run_command(TogglePin(0))
        assert await wait_for(pilot, lambda: not app.engine_state.pending)
        await settle(pilot)
        status = app.main.query_one(StatusLine)
        assert (status.text, status.busy) == ("ready", False)
    settled = [(text, busy) for text, busy, _, running in log.shown[start:] if running is None]
    assert settled == [("export failed · 2 commands queued", True), ("probe cancelled · 1 command queued", True),
                       ("ready", False)]
    assert not log.ready_while_busy()


@pytest.mark.parametrize("key, last", [("enter", "resumed · 4 messages"), ("escape", "ready · a new conversation · F5 lists the kept ones")])
def test_the_resume_offer_after_the_load_ends_in_a_truthful_status(monkeypatch, key, last):
    from test_snapshot_ui import app_with_pending, pending_state

    log = StatusLog(monkeypatch)

    @async_test
    async def run():
        app = app_with_pending(pending_state())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            return app.main.query_one("#history").last_sync

    sync = run()
    assert log.texts()[-1] == last
    assert not log.ready_while_busy()
    if key == "enter":  # the resumed conversation is read into the KV cache, with its progress shown
        total = sync.evaluated
        assert f"resume · re-reading the conversation · {total:,} / {total:,} tokens" in log.texts()


@async_test
async def test_a_long_history_being_counted_shows_its_progress(monkeypatch):
    from app.core.events import CountProgress

    log = StatusLog(monkeypatch)
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.run_command(Scripted("resume", lambda s: [s.sink(CountProgress(done, 4000)) for done in (200, 4000)]))
        await settle(pilot)
    counted = [(text, busy, running) for text, busy, _, running in log.shown if "counting" in text]
    assert counted == [
        ("resume · counting the conversation's tokens · 200 / 4,000 messages", True, "resume"),
        ("resume · counting the conversation's tokens · 4,000 / 4,000 messages", True, "resume"),
    ]
    assert not log.ready_while_busy()

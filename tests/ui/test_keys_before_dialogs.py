"""Keys typed while the dashboard loads never land in a dialog that opens later on its own.

The fake session holds its load at a gate, so the keys are typed while it loads. Keys that were
typed before the dialog opened but wait in the queue behind the work that opened it are made
before the dialog is shown and delivered after, as a busy screen delivers them.
"""

from __future__ import annotations

import threading

from textual import events

from app.core.config.settings import Settings
from app.core.session.runner import EngineRunner
from app.ui.app import ContextWatchApp
from app.ui.screens.resume import ResumeScreen
from app.ui.widgets.chat_input import ChatInput
from fake_session import FakeSession
from harness import SIZE, async_test, settle, wait_for
from test_snapshot_ui import pending_state


def gated_app(gate: threading.Event) -> ContextWatchApp:
    settings = Settings(n_ctx=2048)
    return ContextWatchApp(settings, lambda sink: FakeSession(settings, sink, load_gate=gate), EngineRunner,
                           pending_resume=pending_state())


def typed(text: str) -> list[events.Key]:
    """Key events for `text`, stamped now, as the terminal driver makes them when the keys are pressed."""
    return [events.Key("enter", None) if ch == "\n" else events.Key(ch, ch) for ch in text]


async def deliver(pilot, keys: list[events.Key]) -> None:
    """Hand `keys` to the app now, as a screen that was busy when they were typed does."""
    for key in keys:
        key.set_sender(pilot.app)
        pilot.app.post_message(key)
    await settle(pilot)


async def open_the_offer_then_deliver(pilot, gate: threading.Event, keys: list[events.Key]) -> None:
    """Let the load finish so the resume offer opens, then deliver `keys`, typed before it."""
    gate.set()
    assert await wait_for(pilot, lambda: isinstance(pilot.app.screen, ResumeScreen))
    await deliver(pilot, keys)


@async_test
async def test_text_typed_while_loading_stays_in_the_input_when_the_resume_offer_opens():
    gate = threading.Event()
    app = gated_app(gate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(*"draft")
        await open_the_offer_then_deliver(pilot, gate, typed(" more"))
        assert isinstance(app.screen, ResumeScreen)
        assert app.main.query_one(ChatInput).text == "draft more"
        await pilot.press("escape")  # pressed once the offer is on screen: it answers it
        await settle(pilot)
        assert app.screen is app.main
        assert "resume" not in app.session.calls
        assert app.main.query_one(ChatInput).text == "draft more"


@async_test
async def test_enter_typed_before_the_offer_sends_the_message_instead_of_answering_the_offer():
    gate = threading.Event()
    app = gated_app(gate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_the_offer_then_deliver(pilot, gate, typed("hello\n"))
        assert await wait_for(pilot, lambda: "submit:hello" in app.session.calls)
        assert isinstance(app.screen, ResumeScreen)  # still waiting for its own answer
        assert "resume" not in app.session.calls
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "resume" in app.session.calls)
        assert app.screen is app.main


@async_test
async def test_escape_typed_before_the_offer_does_not_decline_it():
    gate = threading.Event()
    app = gated_app(gate)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_the_offer_then_deliver(pilot, gate, typed("x") + [events.Key("escape", None)])
        assert isinstance(app.screen, ResumeScreen)
        assert app.pending_resume is not None
        assert app.main.query_one(ChatInput).text == "x"


@async_test
async def test_keys_typed_before_the_context_size_offer_opened_stay_out_of_it(monkeypatch):
    from app.core.session import commands
    from app.ui.screens.context_size import ContextSizeScreen
    from fake_tuning import tuning_app
    from test_reload_ui import offer

    monkeypatch.setattr(commands, "context_offer", offer)
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queued = typed("ab") + [events.Key("escape", None), events.Key("enter", None)]
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, ContextSizeScreen)
        await deliver(pilot, queued)
        assert isinstance(app.screen, ContextSizeScreen)  # neither Esc nor Enter reached it
        assert "ab" in [m.content for m in app.messages()]  # the Enter sent what was typed before it
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main

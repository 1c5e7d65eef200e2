"""Helpers for UI tests: an app on the scripted fake session, and a way to let it settle."""

from __future__ import annotations

import asyncio
import functools
import time

from app.core.config.settings import Settings
from app.ui.app import ContextWatchApp
from app.ui.screens.main import MainScreen
from app.ui.widgets.chat_input import ChatInput
from fake_session import FakeSession, InlineRunner

SIZE = (140, 42)


def fake_app(settings: Settings | None = None, runner=InlineRunner, theme_folder=None, **fake_options) -> ContextWatchApp:
    """The app on a FakeSession; `runner=EngineRunner` runs it on a real engine thread."""
    settings = settings or Settings(n_ctx=2048)
    return ContextWatchApp(
        settings,
        lambda sink: FakeSession(settings, sink, **fake_options),
        runner,
        theme_folder=theme_folder,
    )


async def wait_for(pilot, condition, timeout: float = 10.0, step: float = 0.02) -> bool:
    """Pause until `condition()` is true; False if it never was within `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await pilot.pause(step)
    return True


async def settle(pilot, seconds: float = 0.15) -> None:
    """Let queued events, the live flush timer and layout all finish, waiting at most `seconds` for the flush."""
    await pilot.pause()
    await wait_for(pilot, lambda: not getattr(pilot.app, "live_pending", False), seconds, step=0.01)
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def ask(pilot, text: str) -> None:
    """Type `text` into the message input, send it, and let the reply settle."""
    pilot.app.main.query_one("#input").insert(text)
    await pilot.press("enter")
    await settle(pilot)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def send(pilot, text: str = "What is a context window?") -> None:
    """Type `text` into the input, press Enter and let the turn finish."""
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    await settle(pilot, 0.25)


async def send_and_wait(pilot, text: str, timeout: float = 90.0) -> None:
    """Send `text` and wait until its turn has stopped and the engine thread is free (real models are slow)."""
    app = pilot.app
    app.last_stop = None
    app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    assert await wait_for(pilot, lambda: app.last_stop is not None and not app.runner.busy, timeout)
    await settle(pilot)


def async_test(fn):
    """Run an `async def` test with asyncio.run (no async pytest plugin needed)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        return asyncio.run(fn(*args, **kwargs))

    return run


class StatusLog:
    """Every status line shown, with what the engine thread had running and queued at that moment."""

    def __init__(self, monkeypatch) -> None:
        self.shown: list[tuple[str, bool, int, str | None]] = []  # (text, busy, pending, running)
        original = MainScreen.set_status
        log = self.shown

        def record(screen: MainScreen, text: str, busy: bool = False) -> None:
            log.append((text, busy, screen.app.engine_state.pending, screen.app.engine_state.label))
            original(screen, text, busy)

        monkeypatch.setattr(MainScreen, "set_status", record)

    def texts(self) -> list[str]:
        return [text for text, *_ in self.shown]

    def ready_while_busy(self) -> list[tuple]:
        """Each "ready" shown while a command was running or queued: there should be none."""
        return [entry for entry in self.shown if entry[0].startswith("ready") and (entry[2] or entry[3])]

"""Screenshots of the dashboard on the scripted fake session, at a fixed 140x42 terminal."""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.telemetry.memory import MemoryLevel
from app.ui.widgets.chat_input import ChatInput
from harness import SIZE, fake_app, settle

QUESTION = "What is a context window?"


async def _ready(pilot) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).cursor_blink = False
    await settle(pilot)


async def _ask(pilot, text: str = QUESTION) -> None:
    await _ready(pilot)
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    await settle(pilot, 0.25)


def test_empty_start(snap_compare):
    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=_ready)


def test_loading_failed(snap_compare):
    app = fake_app(fail_load="not a GGUF file: /models/broken.gguf")
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_mid_turn(snap_compare):
    assert snap_compare(fake_app(pause_after=22), terminal_size=SIZE, run_before=_ask)


def test_after_turn(snap_compare):
    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=_ask)


def _filled(used: int):
    """Ask once, then fill the context to `used` tokens (more than n_ctx is an overflow)."""

    async def run_before(pilot):
        await _ask(pilot)
        pilot.app.session.fill_context(used)
        await settle(pilot)

    return run_before


def test_context_over_threshold(snap_compare):
    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=_filled(1490))


def test_context_overflow(snap_compare):
    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=_filled(2100))


def test_memory_warning(snap_compare):
    async def run_before(pilot):
        await _ask(pilot)
        pilot.app.session.set_memory_level(MemoryLevel.WARNING, 74.2)
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_memory_emergency_banner(snap_compare):
    async def run_before(pilot):
        await _ask(pilot)
        pilot.app.session.set_memory_level(MemoryLevel.EMERGENCY, 96.4)
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_history_pane(snap_compare):
    async def run_before(pilot):
        await _ask(pilot)
        await pilot.press("f2")
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_edit_dialog(snap_compare):
    async def run_before(pilot):
        await _ask(pilot)
        await pilot.press("f2", "up", "e")
        await settle(pilot)
        pilot.app.screen.query_one("#edit-text").cursor_blink = False
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_charts_screen(snap_compare):
    async def run_before(pilot):
        await _ask(pilot)
        await _ask(pilot, "And how big is it for SmolLM2?")
        await pilot.press("f3")
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare, monkeypatch):
    import app.ui.screens.help as help_screen
    from app.ui import bindings

    # only the dashboard's own keys: other screens' scopes register when their modules load
    monkeypatch.setattr(help_screen, "all_scopes", lambda: bindings.SCOPES)

    async def run_before(pilot):
        await _ready(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("theme", ["contextwatch-dark", "contextwatch-light", "contextwatch-high-contrast"])
def test_theme(snap_compare, theme):
    app = fake_app(Settings(n_ctx=2048, theme=theme))
    assert snap_compare(app, terminal_size=SIZE, run_before=_filled(1490))


async def _third_turn_mid_reply(pilot) -> None:
    await _ask(pilot)
    await _ask(pilot, "And what does the KV cache hold?")
    pilot.app.session.pause_after = 30
    await _ask(pilot, "How do I keep a long chat inside it?")


def test_readme_screenshot(snap_compare):
    """The README's picture: two turns done and the third reply streaming, at 160x48."""
    assert snap_compare(fake_app(), terminal_size=(160, 48), run_before=_third_turn_mid_reply)

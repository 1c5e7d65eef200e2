"""Screenshots of the layout at a narrow 80x24 terminal (sidebar strip, sidebar and history over the
chat, a dialog) and at a wide 200x50 one, on the scripted fake session."""

from __future__ import annotations

from app.ui.widgets.chat_input import ChatInput
from fake_tuning import tuning_app
from harness import fake_app, settle

NARROW = (80, 24)
WIDE = (200, 50)


async def _ask(pilot) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).cursor_blink = False
    pilot.app.main.query_one(ChatInput).insert("What is a context window?")
    await pilot.press("enter")
    await settle(pilot, 0.25)


def _ask_then(*keys: str):
    async def run_before(pilot):
        await _ask(pilot)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)

    return run_before


def test_narrow_main_screen_with_the_sidebar_strip(snap_compare):
    assert snap_compare(fake_app(), terminal_size=NARROW, run_before=_ask)


def test_narrow_main_screen_with_the_sidebar_open(snap_compare):
    assert snap_compare(fake_app(), terminal_size=NARROW, run_before=_ask_then("ctrl+b"))


def test_narrow_history_pane_over_the_chat(snap_compare):
    assert snap_compare(fake_app(), terminal_size=NARROW, run_before=_ask_then("f2"))


def test_wide_main_screen(snap_compare):
    assert snap_compare(fake_app(), terminal_size=WIDE, run_before=_ask)


def test_narrow_compression_settings_dialog(snap_compare):
    async def run_before(pilot):
        await settle(pilot)
        pilot.app.main.query_one(ChatInput).cursor_blink = False
        pilot.app.session.seed(5)
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=NARROW, run_before=run_before)

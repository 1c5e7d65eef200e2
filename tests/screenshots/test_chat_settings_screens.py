"""Screenshots of the chat settings dialog on the fake session: at 140x42, and at 80x24 with problems shown."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from app.ui.widgets.chat_input import ChatInput
from harness import SIZE, fake_app, settle


async def _opened(pilot) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).cursor_blink = False
    await pilot.press("ctrl+g")
    await settle(pilot)
    pilot.app.screen.query_one("#system-prompt", TextArea).cursor_blink = False


def test_chat_settings_dialog(snap_compare):
    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=_opened)


def test_chat_settings_problems_at_80x24(snap_compare):
    async def run_before(pilot):
        await _opened(pilot)
        screen = pilot.app.screen
        screen.query_one("#field-temperature", Input).value = "500"
        screen.query_one("#field-seed", Input).value = "lucky"
        await pilot.press("ctrl+s")
        await settle(pilot)
        for field in screen.query(Input):
            field.cursor_blink = False

    assert snap_compare(fake_app(), terminal_size=(80, 24), run_before=run_before)

"""Ctrl+U empties the message input in one key; Ctrl+Z brings the text back."""

from __future__ import annotations

from app.core.config.settings import Settings
from app.ui.widgets.chat_input import ChatInput
from harness import SIZE, async_test, fake_app, settle


@async_test
async def test_ctrl_u_clears_the_whole_input_and_ctrl_z_brings_it_back():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("first line\nsecond line")
        chat.move_cursor((1, 3))  # TextArea's own ctrl+u would delete only "sec"
        await pilot.press("ctrl+u")
        await settle(pilot)
        assert chat.text == ""
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert chat.text == "first line\nsecond line"
        assert app.session.calls == ["load"], "nothing was sent"


@async_test
async def test_clear_is_remappable_and_in_the_palette():
    app = fake_app(Settings(n_ctx=2048, keys={"chat.clear": "ctrl+k"}))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("draft")
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert chat.text == ""
        entry = next(e for e in app.palette_entries() if e.title == "Clear the input")
        assert entry.help == "Ctrl+K"
        chat.insert("another draft")
        entry.run()
        await settle(pilot)
        assert chat.text == ""

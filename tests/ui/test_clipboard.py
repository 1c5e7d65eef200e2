"""Copying: the selected text (Ctrl+C) and whole messages (F5) reach the clipboard, and a notification says so."""

from __future__ import annotations

from app.core.settings import Settings
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.conversation_view import MessageBlock
from harness import SIZE, async_test, fake_app, settle

QUESTION = "What is a context window?"


async def ask(pilot, text: str = QUESTION) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    await settle(pilot, 0.25)


def notes(app) -> list[str]:
    return [n.message for n in app._notifications]


@async_test
async def test_f5_copies_the_last_reply_whole():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        reply = app.messages()[-1].content
        await pilot.press("f5")
        await settle(pilot)
        assert app.clipboard == reply
        assert f"copied {len(reply):,} characters (the last reply)" in notes(app)


@async_test
async def test_with_the_history_pane_open_the_selected_message_is_copied():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        await pilot.press("f2", "up")  # the question, one above the reply
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.clipboard == QUESTION
        assert f"copied {len(QUESTION)} characters (the selected user message)" in notes(app)


@async_test
async def test_before_any_reply_there_is_nothing_to_copy():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert app.clipboard == ""
        assert "There is no reply to copy yet." in notes(app)


@async_test
async def test_ctrl_c_copies_text_selected_with_the_mouse():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        block = next(b for b in app.main.query(MessageBlock) if b.has_class("-user"))
        await pilot.mouse_down(block, offset=(2, 1))  # the first character inside the border and padding
        end = (2 + len("What is") - 1, 1)  # the last character, which the selection includes
        await pilot.hover(block, offset=end)
        await pilot.mouse_up(block, offset=end)
        await settle(pilot)
        assert app.screen.get_selected_text() == "What is"
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard == "What is"
        assert "copied 7 characters (the selection)" in notes(app)


@async_test
async def test_ctrl_c_copies_a_whole_selected_message():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        block = next(b for b in app.main.query(MessageBlock) if b.has_class("-user"))
        block.text_select_all()
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard == QUESTION


@async_test
async def test_ctrl_c_with_nothing_selected_still_says_how_to_quit():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard == ""
        assert any("to quit the app" in n for n in notes(app))
        assert app.is_running


@async_test
async def test_ctrl_c_in_the_input_copies_its_selection_and_says_so():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("draft text")
        chat.select_all()
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard == "draft text"
        assert "copied 10 characters" in notes(app)


@async_test
async def test_copy_reply_is_remappable_and_in_the_palette():
    app = fake_app(Settings(n_ctx=2048, keys={"app.copy_reply": "ctrl+g"}))
    async with app.run_test(size=SIZE) as pilot:
        await ask(pilot)
        entries = {e.title: e for e in app.palette_entries()}
        assert "app.copy_reply · ctrl+g" in entries["Copy reply"].help
        assert "app.copy · ctrl+c" in entries["Copy the selected text"].help
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.clipboard == app.messages()[-1].content
        entries["Copy the selected text"].run()
        await settle(pilot)
        assert "Nothing is selected: drag over text with the mouse first." in notes(app)

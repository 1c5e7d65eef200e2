"""Copying: the selected text (Ctrl+C) and whole messages (F7) reach the clipboard, and a notification says so."""

from __future__ import annotations

import pytest
from textual.widgets.markdown import MarkdownBlock

from app.core.config.settings import Settings
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.conversation_view import MessageBlock, ReplyBlock, StreamingReply
from harness import SIZE, async_test, fake_app, notifications, send, settle

QUESTION = "What is a context window?"


def question_block(app) -> MessageBlock:
    return next(b for b in app.main.query(MessageBlock) if b.has_class("-user"))


@pytest.mark.parametrize("before, copied, what", [
    ((), "reply", "the last reply"),
    (("f2", "up"), "question", "the selected user message"),  # the history pane open on the question
])
def test_f7_copies_a_whole_message(before, copied, what):
    @async_test
    async def run():
        app = fake_app()
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, QUESTION)
            text = {"reply": app.messages()[-1].content, "question": QUESTION}[copied]
            await pilot.press(*before, "f7")
            await settle(pilot)
            assert app.clipboard == text
            assert f"copied {len(text):,} characters ({what})" in notifications(app)

    run()


@pytest.mark.parametrize("key, says", [
    ("f7", "There is no reply to copy yet."),
    ("ctrl+c", "Press [b]ctrl+q[/b] to quit the app"),  # nothing selected: the quit hint, as before
])
def test_with_nothing_to_copy_the_key_copies_nothing_and_says_why(key, says):
    @async_test
    async def run():
        app = fake_app()
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press(key)
            await settle(pilot)
            assert app.clipboard == ""
            assert says in notifications(app)
            assert app.is_running

    run()


def reply_paragraph(app) -> MarkdownBlock:
    return app.main.query_one(ReplyBlock).query(MarkdownBlock).first()


@pytest.mark.parametrize("where, start, selected", [
    (question_block, (2, 1), "What is"),  # inside the border and padding of the question's box
    (reply_paragraph, (0, 0), "The context"),  # a finished reply, rendered as Markdown
])
def test_ctrl_c_copies_text_selected_with_the_mouse(where, start, selected):
    @async_test
    async def run():
        app = fake_app()
        async with app.run_test(size=SIZE) as pilot:
            await send(pilot, QUESTION)
            widget = where(app)
            end = (start[0] + len(selected) - 1, start[1])  # the last character, which the selection includes
            await pilot.mouse_down(widget, offset=start)
            await pilot.hover(widget, offset=end)
            await pilot.mouse_up(widget, offset=end)
            await settle(pilot)
            assert app.screen.get_selected_text() == selected
            await pilot.press("ctrl+c")
            await settle(pilot)
            assert app.clipboard == selected
            assert f"copied {len(selected)} characters (the selection)" in notifications(app)

    run()


@async_test
async def test_ctrl_c_copies_a_whole_selected_message():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, QUESTION)
        question_block(app).text_select_all()
        await pilot.press("ctrl+c")
        assert app.clipboard == QUESTION


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
        assert "copied 10 characters" in notifications(app)


@async_test
async def test_copy_reply_is_remappable_and_in_the_palette():
    app = fake_app(Settings(n_ctx=2048, keys={"app.copy_reply": "ctrl+g"}))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, QUESTION)
        entries = {e.title: e for e in app.palette_entries()}
        assert entries["Copy reply"].help == "Ctrl+G"
        assert entries["Copy the selected text"].help == "Ctrl+C or Super+C"
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.clipboard == app.messages()[-1].content
        entries["Copy the selected text"].run()
        await settle(pilot)
        assert "Nothing is selected: drag over text with the mouse first." in notifications(app)


@async_test
async def test_the_reply_still_streaming_can_be_selected_and_copied():
    app = fake_app(pause_after=40)  # the turn stops mid-reply, as the screen sees it while tokens stream
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, QUESTION)
        streaming = app.main.query_one(StreamingReply)
        paragraph = streaming.query(MarkdownBlock).first()
        selected = "The context"
        end = (len(selected) - 1, 0)
        await pilot.mouse_down(paragraph, offset=(0, 0))
        await pilot.hover(paragraph, offset=end)
        await pilot.mouse_up(paragraph, offset=end)
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.clipboard == selected
        assert app.engine_state.generating, "copied while the reply was still streaming"
        streaming.text_select_all()
        await pilot.press("ctrl+c")
        assert app.clipboard.startswith("The context window is the working memory")

"""Search in the conversation (Ctrl+F), on the fake session: matches, next and previous, highlight, Esc."""

from __future__ import annotations

from textual.widgets import Static
from textual.widgets._markdown import MarkdownParagraph

from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.conversation_view import FOUND_STYLE, ConversationView, MessageBlock, ReplyBlock
from app.ui.widgets.history_pane import HistoryList
from app.ui.widgets.search_bar import SearchBar, SearchInput
from harness import SIZE, async_test, fake_app, send, settle


async def type_text(pilot, text: str) -> None:
    await pilot.press(*("space" if ch == " " else ch for ch in text))
    await settle(pilot)


def count_shown(app) -> str:
    return str(app.main.query_one("#search-count", Static).render())


def found_boxes(app) -> list:
    return [b for b in app.main.query(".message") if b.has_class("-found")]


def visible(app, widget) -> bool:
    view = app.main.query_one(ConversationView)
    return widget.region.height > 0 and view.region.overlaps(widget.region)


def highlighted(content) -> list[str]:
    """The parts of `content` in the search's highlight style."""
    return [content.plain[span.start:span.end] for span in content.spans if span.style == FOUND_STYLE]


@async_test
async def test_ctrl_f_finds_every_match_and_enter_and_up_step_through_them():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "What is the KV cache?")  # the fake's reply names the "KV cache" once
        await send(pilot, "And the context?")
        await pilot.press("ctrl+f")
        await settle(pilot)
        bar = app.main.query_one(SearchBar)
        assert bar.is_open and isinstance(app.focused, SearchInput)
        await type_text(pilot, "kv CACHE")
        assert count_shown(app) == "1 of 3"
        question = next(b for b in app.main.query(MessageBlock) if b.text == "What is the KV cache?")
        assert found_boxes(app) == [question]
        assert highlighted(question.visual) == ["KV cache"]

        await pilot.press("enter")
        await settle(pilot)
        assert count_shown(app) == "2 of 3"
        first_reply = app.main.query(ReplyBlock).first()
        assert found_boxes(app) == [first_reply]
        assert highlighted(question.visual) == [], "the previous match is no longer highlighted"
        marked = [highlighted(p.visual) for p in first_reply.query(MarkdownParagraph)]
        assert ["KV cache"] in marked, "the match is highlighted inside the rendered Markdown"

        await pilot.press("down")
        await settle(pilot)
        assert count_shown(app) == "3 of 3"
        await pilot.press("down")
        await settle(pilot)
        assert count_shown(app) == "1 of 3", "next wraps round to the first match"
        assert visible(app, question), "the conversation scrolled back to the match"
        await pilot.press("up")
        await settle(pilot)
        assert count_shown(app) == "3 of 3", "previous wraps round to the last match"
        assert found_boxes(app) == [app.main.query(ReplyBlock).last()]


@async_test
async def test_a_search_with_no_match_says_so_and_esc_closes_it_and_gives_the_input_back():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "What is the KV cache?")
        await pilot.press("ctrl+f")
        await type_text(pilot, "cache")
        assert count_shown(app) == "1 of 2"
        await type_text(pilot, "zz")
        assert count_shown(app) == "no matches"
        assert found_boxes(app) == []
        await pilot.press("enter")  # nothing to go to: nothing breaks
        await settle(pilot)
        assert count_shown(app) == "no matches"
        await pilot.press("backspace", "backspace")
        await settle(pilot)
        assert count_shown(app) == "1 of 2"
        await pilot.press("escape")
        await settle(pilot)
        assert not app.main.query_one(SearchBar).is_open
        assert isinstance(app.focused, ChatInput)
        assert found_boxes(app) == []
        assert all(not highlighted(b.visual) for b in app.main.query(MessageBlock))
        assert app.last_stop is not None and app.is_running, "Esc closed the search and cancelled nothing"


@async_test
async def test_ctrl_f_works_while_the_input_has_focus_and_is_in_the_palette():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("keep these words")
        chat.move_cursor((0, 5))
        await pilot.press("ctrl+f")  # the input's own ctrl+f would delete the word on the right
        await settle(pilot)
        assert chat.text == "keep these words"
        assert app.main.query_one(SearchBar).is_open
        entry = next(e for e in app.palette_entries() if e.title == "Search the conversation")
        assert entry.help == "Ctrl+F"


@async_test
async def test_a_match_older_than_the_messages_shown_is_found_through_the_history_pane():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.query_one(ConversationView).max_shown = 2
        await send(pilot, "First question about bananas")
        await send(pilot, "Second question")
        assert not any(b.text.startswith("First") for b in app.main.query(MessageBlock))
        await pilot.press("ctrl+f")
        await type_text(pilot, "bananas")
        assert count_shown(app) == "1 of 1"
        index = next(i for i, m in enumerate(app.messages()) if "bananas" in m.content)
        assert app.main.history_open
        assert app.main.query_one(HistoryList).highlighted == index
        assert isinstance(app.focused, SearchInput), "the search keeps the focus"

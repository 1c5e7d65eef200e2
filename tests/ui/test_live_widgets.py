"""The widgets that change while a reply streams: repaints limited to what changed, Markdown built block by block."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownBullet, MarkdownBulletList, MarkdownParagraph

from app.core.errors import ContextWatchError
from app.core.session.engine_state import Activity
from app.core.session.runner import EngineRunner
from app.ui.widgets.conversation_view import StreamingReply
from app.ui.widgets.text_block import TextBlock
from harness import async_test, fake_app, settle, wait_for
from scripted_command import Scripted


class OneWidget(App):
    def __init__(self, widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield self.widget


def spy_rows(widget) -> list[int]:
    """Record the rows the widget is asked to render from now on."""
    rows: list[int] = []
    render_line = widget.render_line
    widget.render_line = lambda y: (rows.append(y), render_line(y))[1]
    return rows


def lines(*texts: str) -> Content:
    return Content("\n").join([Content.styled(t, "bold $text-primary") for t in texts])


@async_test
async def test_a_text_block_repaints_only_the_rows_that_changed():
    block = TextBlock()
    async with OneWidget(block).run_test(size=(40, 12)) as pilot:
        block.content = lines("CONTEXT 3.9%", "used 68", "free 1,672", "warn at 80%")
        await settle(pilot)
        assert block.size.height == 4
        rows = spy_rows(block)
        block.content = lines("CONTEXT 4.2%", "used 71", "free 1,672", "warn at 80%")
        await settle(pilot)
        assert sorted(set(rows)) == [0, 1]
        rows.clear()
        block.content = lines("CONTEXT 4.2%", "used 71", "free 1,672", "warn at 85%")
        await settle(pilot)
        assert sorted(set(rows)) == [3]


@async_test
async def test_a_text_block_takes_the_height_of_its_rows_and_wraps_long_lines():
    block = TextBlock()
    async with OneWidget(block).run_test(size=(20, 12)) as pilot:
        block.content = lines("one", "two")
        await settle(pilot)
        assert block.size.height == 2
        block.content = lines("one", "two", "three words that do not fit")
        await settle(pilot)
        assert block.size.height == 4
        wrapped = [block.render_line(y).text.strip() for y in (2, 3)]
        assert " ".join(wrapped) == "three words that do not fit"


@async_test
async def test_a_text_block_shows_the_new_theme_colours():
    block = TextBlock()
    async with OneWidget(block).run_test(size=(40, 6)) as pilot:
        pilot.app.theme = "textual-dark"
        block.content = lines("CONTEXT")
        await settle(pilot)
        before = list(block.render_line(0))[0].style.color
        pilot.app.theme = "textual-light"
        await settle(pilot)
        after = list(block.render_line(0))[0].style.color
        assert before != after


@async_test
async def test_a_streaming_reply_is_markdown_with_its_token_count_on_the_bottom_border():
    reply = StreamingReply()
    async with OneWidget(reply).run_test(size=(60, 30)) as pilot:
        assert reply.border_title == "assistant · reading the prompt"
        reply.add("The **working", 2)
        await settle(pilot)
        assert reply.border_title == "assistant · generating"
        reply.add(" memory** of the model.\n\n", 6)
        await settle(pilot)
        (first,) = reply.query(MarkdownParagraph)
        assert first._content.plain == "The working memory of the model."
        assert [first._content.plain[s.start:s.end] for s in first._content.spans] == ["working memory"]
        reply.add("- one\n- two\n", 12)
        await settle(pilot)
        assert reply.border_subtitle == "12 tokens"
        assert reply.query(MarkdownParagraph).first() is first, "a block above the last one is not built again"
        assert len(reply.query(MarkdownBulletList)) == 1
        assert reply.source == reply.text == "The **working memory** of the model.\n\n- one\n- two\n"


@async_test
async def test_the_reply_box_opens_when_the_turn_starts_and_a_failed_turn_leaves_none():
    app = fake_app(runner=EngineRunner)
    async with app.run_test(size=(140, 42)) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        release = threading.Event()

        def fails_after_release(session):
            release.wait(10)
            raise ContextWatchError("the prompt does not fit")

        app.run_command(Scripted("submit", fails_after_release, Activity.GENERATING))
        assert await wait_for(pilot, lambda: bool(app.main.query(StreamingReply)))
        assert app.main.query_one(StreamingReply).border_title == "assistant · reading the prompt"
        release.set()
        assert await wait_for(pilot, lambda: not app.engine_state.generating)
        await settle(pilot)
        assert not app.main.query(StreamingReply)


def list_rows(markdown) -> list[tuple[str, str]]:
    """Each list row as (bullet, text), in order, nested lists included."""
    return [(row.query_one(MarkdownBullet).symbol, " ".join(p._content.plain for p in row.query(MarkdownParagraph)))
            for row in markdown.query("MarkdownList > Horizontal")]


@async_test
async def test_a_streamed_list_keeps_its_items_and_ends_as_a_list_parsed_in_one_go():
    steps = ["Steps:\n\n1. Boil", " the water\n", "2. Let the steam", " push\n   - the piston\n   - the",
             " valve\n", "3. Repeat\n", "4. a\n5. b\n6. c\n7. d\n8. e\n9. f\n", "10. ten\n"]
    reply = StreamingReply()
    whole = Markdown("".join(steps))
    async with OneWidget(reply).run_test(size=(60, 60)) as pilot:
        await pilot.app.query_one(VerticalScroll).mount(whole)
        reply.add(steps[0], 1)
        await settle(pilot)
        first_row = reply.query("MarkdownList > Horizontal").first()
        for n, step in enumerate(steps[1:-1], 2):
            reply.add(step, n)
            await settle(pilot)
            assert reply.query("MarkdownList > Horizontal").first() is first_row, "the items shown are kept"
        reply.add(steps[-1], len(steps))  # a tenth item widens every number: the list is built again
        await settle(pilot)
        assert list_rows(reply) == list_rows(whole)
        assert list_rows(reply)[0] == ("  1. ", "Boil the water")
        assert any(text == "the valve" for _, text in list_rows(reply)), "the nested list grew in place"


@async_test
async def test_a_streamed_paragraph_asks_for_a_layout_only_when_it_gains_a_line():
    reply = StreamingReply()
    async with OneWidget(reply).run_test(size=(40, 30)) as pilot:
        reply.add("One", 1)
        await settle(pilot)
        paragraph = reply.query_one(MarkdownParagraph)
        layouts: list[bool] = []
        update = paragraph.update
        paragraph.update = lambda content, layout=True: (layouts.append(layout), update(content, layout=layout))[1]
        reply.add(" two", 2)
        await settle(pilot)
        assert layouts == [False], "the same one line: repainted, not laid out"
        width = paragraph.content_size.width
        reply.add(" three" * (width // 6 + 1), 3)
        await settle(pilot)
        assert layouts == [False, True], "a new line: laid out"
        assert paragraph.size.height == 2
        assert paragraph._content.plain.startswith("One two three")

"""The reply as it streams: Markdown with highlighted code before the turn ends, the same box once it has,
and a cancelled reply marked so for good (fake session)."""

from __future__ import annotations

from textual.geometry import Region
from textual.widgets._markdown import MarkdownFence, MarkdownParagraph

from app.core.events import StopReason
from app.core.session import commands as cmd
from app.core.session.runner import EngineRunner
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from harness import SIZE, async_test, fake_app, send, settle, wait_for

CODE_REPLY = "Here is the loop:\n\n```python\nfor i in range(3):\n    print(i)\n```\n\nIt prints three numbers and then stops."


def pieces_through(text: str, end: str) -> int:
    """How many of the fake's word-sized pieces it takes to stream `text` up to and including `end`."""
    upto = text[: text.index(end) + len(end)]
    return upto.count(" ") + upto.count("\n") + (0 if upto[-1] in " \n" else 1)


@async_test
async def test_a_code_fence_is_a_highlighted_code_block_while_the_reply_still_streams():
    frozen_after = pieces_through(CODE_REPLY, "```\n")  # the turn stops streaming just after the fence closes
    app = fake_app(reply=CODE_REPLY, pause_after=frozen_after)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Show me a loop")
        assert app.engine_state.generating, "the turn has not ended"
        streaming = app.main.query_one(StreamingReply)
        assert streaming.text.endswith("```\n")
        assert await wait_for(pilot, lambda: bool(streaming.query(MarkdownFence)), 5)
        fence = streaming.query_one(MarkdownFence)
        assert fence.code.strip() == "for i in range(3):\n    print(i)"
        assert fence.lexer == "python"
        assert fence._highlighted_code.spans, "the code is highlighted, not plain"
        paragraphs = [p._content.plain for p in streaming.query(MarkdownParagraph)]
        assert paragraphs == ["Here is the loop:"]
        assert "```" not in " ".join(paragraphs)
        assert streaming.border_title == "assistant · generating"
        assert streaming.border_subtitle == f"{frozen_after} tokens"
        width, height = streaming.outer_size
        assert f"{frozen_after} tokens" in streaming.render_lines(Region(0, height - 1, width, 1))[0].text


@async_test
async def test_markdown_shows_as_each_frame_arrives_not_only_at_the_end():
    app = fake_app(pause_after=6)  # "The context window is the **working" : bold not closed yet
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot)
        streaming = app.main.query_one(StreamingReply)
        assert await wait_for(pilot, lambda: bool(streaming.query(MarkdownParagraph)), 5)
        first = streaming.query_one(MarkdownParagraph)
        assert first._content.plain.startswith("The context window is the")


@async_test
async def test_the_streamed_box_stays_as_the_finished_reply_without_being_built_again():
    app = fake_app(reply=CODE_REPLY)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        boxes: list[StreamingReply] = []
        begin = app.main.show_reply_started

        def record() -> None:
            begin()
            boxes.extend(app.main.query(StreamingReply))

        app.main.show_reply_started = record
        await send(pilot, "Show me a loop")
        assert app.last_stop is StopReason.EOG
        replies = list(app.main.query(ReplyBlock))
        assert len(replies) == 1 and replies[0] is boxes[0], "the streamed widget is the finished reply"
        reply = replies[0]
        assert not reply.has_class("-streaming")
        assert reply.source == app.messages()[-1].content == CODE_REPLY
        assert reply.key == (app.messages()[-1].id, CODE_REPLY)
        assert reply.border_title == "assistant"
        assert len(reply.query(MarkdownFence)) == 1


@async_test
async def test_a_cancelled_reply_says_so_on_its_box_and_keeps_saying_it_after_the_history_changes():
    app = fake_app(runner=EngineRunner, token_delay=0.05)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await send(pilot)
        assert await wait_for(pilot, lambda: app.turn_tokens >= 3)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.engine_state.pending)
        await settle(pilot)
        assert app.last_stop is StopReason.CANCELLED
        kept = app.messages()[-1]
        n = kept.metrics["generated_tokens"]
        assert kept.role == "assistant" and kept.metrics["stop_reason"] == "cancelled" and n >= 3
        reply = app.main.query(ReplyBlock).last()
        assert reply.border_title == f"assistant · cancelled at {n} tokens"
        assert reply.border_subtitle == f"{n} tokens"
        app.run_command(cmd.TogglePin(1))  # a change to another message: the history is sent again
        assert await wait_for(pilot, lambda: app.messages()[1].pinned and not app.engine_state.pending)
        await settle(pilot)
        assert app.main.query(ReplyBlock).last().border_title == f"assistant · cancelled at {n} tokens"
        await send(pilot, "Another question")
        assert await wait_for(pilot, lambda: app.last_stop is StopReason.EOG and not app.engine_state.pending, 20)
        await settle(pilot)
        titles = [r.border_title for r in app.main.query(ReplyBlock)]
        assert titles == [f"assistant · cancelled at {n} tokens", "assistant"]



@async_test
async def test_a_code_line_wider_than_the_reply_scrolls_sideways_and_a_short_one_gets_no_scrollbar():
    wide = "print('" + "a long sentence that goes on " * 6 + "')"
    app = fake_app(reply=f"Wide:\n\n```python\n{wide}\n```\n\nShort:\n\n```python\nprint(1)\n```\n")
    async with app.run_test(size=(80, 24)) as pilot:
        await send(pilot, "Show me code")
        assert await wait_for(pilot, lambda: len(app.main.query(MarkdownFence)) == 2, 5)
        await settle(pilot)
        wide_fence, short_fence = app.main.query(MarkdownFence)
        assert wide_fence.max_scroll_x > 0 and wide_fence.show_horizontal_scrollbar
        assert short_fence.max_scroll_x == 0 and not short_fence.show_horizontal_scrollbar

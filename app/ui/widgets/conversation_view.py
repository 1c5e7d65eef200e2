"""The conversation: one widget per message, plus the reply streaming in.

A streaming reply is Markdown as it streams, and stays on screen as the finished reply.
Syncing with the history keeps every message widget whose message did not change.
"""

from __future__ import annotations

import re

from textual.containers import VerticalScroll
from textual.content import Content
from textual.events import Mount
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import Markdown, Static
from textual.widgets.markdown import MarkdownBlock, MarkdownFence, MarkdownStream

from app.core.conversations.conversation import Message
from app.ui.display.alerts import reply_note, reply_shift_mark, tokens_note
from app.ui.widgets.streamed_blocks import StreamedBulletList, StreamedOrderedList, StreamedParagraph

FOUND_STYLE = "bold $background on $accent"


class MessageBlock(Static):
    """A system or user message: plain text, shown as written."""

    def __init__(self, message: Message) -> None:
        super().__init__(Content(message.content), classes=f"message -{message.role}")
        self.key = (message.id, message.content)
        self.border_title = message.role
        self.text = message.content

    def highlight(self, start: int, end: int) -> bool:
        self.update(Content(self.text).stylize(FOUND_STYLE, start, end))
        return True

    def unhighlight(self) -> None:
        self.update(Content(self.text))


class ReplyBlock(Markdown):
    """An assistant reply as Markdown; its title says how a reply that did not finish stopped, its bottom
    border the reply's length and where a full context was shifted."""

    def __init__(self, message: Message | None = None, classes: str = "message -assistant") -> None:
        super().__init__(message.content if message is not None else None, classes=classes)
        self.key: tuple[int | None, str] = (None, "")
        self._found: tuple[MarkdownBlock, Content] | None = None  # a block shown with a match, and its own content
        if message is not None:
            self.became(message)

    def became(self, message: Message) -> None:
        """Stand for `message` from now on: a stopped stream is kept as the finished reply."""
        self.key = (message.id, message.content)
        note = reply_note(message.metrics)
        self.border_title = f"assistant · {note}" if note else "assistant"
        metrics = message.metrics or {}
        self.border_subtitle = tokens_note(metrics.get("generated_tokens"), reply_shift_mark(metrics))

    def highlight(self, start: int, end: int) -> bool:
        """Highlight the reply's text `start:end` where it is shown; False when the Markdown does not show it as written.

        Markdown drops its markup, so the match is found again in the rendered blocks: the
        same occurrence of the same words, counted from the top of the reply.
        """
        self.unhighlight()
        text = self.key[1] or self.source
        words = re.compile(re.escape(text[start:end]), re.IGNORECASE)
        nth = len(words.findall(text, 0, start))
        for block in self.query(MarkdownBlock):
            shown = block._content
            if not shown.plain or (block.children and not isinstance(block, MarkdownFence)):
                continue
            found = list(words.finditer(shown.plain))
            if nth < len(found):
                self._found = (block, shown)
                _show_content(block, shown.stylize(FOUND_STYLE, found[nth].start(), found[nth].end()))
                return True
            nth -= len(found)
        return False

    def unhighlight(self) -> None:
        if self._found is not None:
            block, content = self._found
            self._found = None
            if block.is_attached:
                _show_content(block, content)


def _show_content(block: MarkdownBlock, content: Content) -> None:
    """Repaint a block with `content` without changing what it was built from."""
    if isinstance(block, MarkdownFence):
        block.query_one("#code-content", Static).update(content)
    else:
        block.update(content)


class StreamingReply(ReplyBlock):
    """The reply being generated, rendered as Markdown while it streams.

    Text reaches it at most once a frame; a `MarkdownStream` appends it, which re-parses only
    the last block of the reply (a paragraph, a list, a code fence) and updates that block
    in place (see `streamed_blocks` for what that costs), and folds text that arrives while an append
    is still running into the next one.
    The reply's length in tokens is on the bottom border. When the turn ends the same widget
    stays as the finished reply, so nothing is parsed or laid out again.
    """

    BLOCKS = {**Markdown.BLOCKS, "paragraph_open": StreamedParagraph,
              "bullet_list_open": StreamedBulletList, "ordered_list_open": StreamedOrderedList}

    def __init__(self) -> None:
        super().__init__(classes="message -assistant -streaming")
        self.border_title = "assistant · reading the prompt"
        self._mark = ""  # where a full context was shifted or compressed while this reply streamed
        self._tokens: int | None = None
        self._chunks: list[str] = []
        self._stream: MarkdownStream | None = None
        self.finished = False

    async def _on_mount(self, event: Mount) -> None:
        event.prevent_default()  # Markdown's own handler would render an empty document over text that came first
        shown = self.text
        await self.update(shown)
        self._stream = Markdown.get_stream(self)
        if len(self.text) > len(shown):
            await self._stream.write(self.text[len(shown):])

    def add(self, text: str, tokens: int | None = None) -> None:
        """Add streamed text; `tokens`, the reply's length so far, shows on the bottom border."""
        if tokens is not None:
            self._tokens = tokens
            self._show_count(tokens_note(tokens, self._mark))
        if not text:
            return
        if not self._chunks:
            self.border_title = "assistant · generating"
        self._chunks.append(text)
        if self._stream is not None and not self.finished:  # before the mount, the mount renders it
            self.call_next(self._stream.write, text)

    def _show_count(self, count: str) -> None:
        """The count on the bottom border, repainting that row alone: `border_subtitle` repaints the whole box."""
        width, height = self.outer_size
        if not height or count == self.border_subtitle:
            self.border_subtitle = count
            return
        self._border_subtitle = self.render_str(count)
        top, _right, _bottom, left = self.styles.gutter
        self.refresh(Region(-left, height - 1 - top, width, 1))  # the bottom border, in content coordinates

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    def mark(self, mark: str) -> None:
        """Say on the bottom border, before the count, where the context was shifted."""
        self._mark = mark
        self.border_subtitle = tokens_note(self._tokens, mark)

    def stop(self, note: str) -> None:
        self.finished = True
        self.border_title = f"assistant · {note}"
        if self._stream is not None:
            self.call_next(self._stream.stop)

    def became(self, message: Message) -> None:
        super().became(message)
        self.remove_class("-streaming")
        if message.content != self.text:
            self.call_next(self._replace_text, message.content)

    async def _replace_text(self, text: str) -> None:
        if self._stream is not None:
            await self._stream.stop()
        await self.update(text)


class ConversationView(VerticalScroll):
    """The newest `max_shown` messages; older ones stay listed in the history pane.

    Capping the widgets keeps each layout pass short however long the session grows.
    """

    DEFAULT_CSS = """
    ConversationView { height: 1fr; }
    ConversationView > #earlier { color: $text-muted; text-align: center; display: none; }
    ConversationView > #earlier.-shown { display: block; }
    """

    def __init__(self, max_shown: int = 30, **kwargs) -> None:
        super().__init__(**kwargs)
        self.max_shown = max_shown
        self._streaming: StreamingReply | None = None
        self._found: MessageBlock | ReplyBlock | None = None  # the box of the search's current match

    def compose(self):
        yield Static(id="earlier")

    def on_mount(self) -> None:
        self.anchor()

    def begin_reply(self) -> None:
        """Show the reply's box before its first token, so the tokens need no new layout to appear."""
        if self._streaming is not None and self._streaming.finished:
            self._drop_reply()  # a stopped reply the history has not replaced yet
        if self._streaming is None:
            self._streaming = StreamingReply()
            self.mount(self._streaming)
            self.anchor()

    def append_reply(self, text: str, tokens: int | None = None) -> None:
        self.begin_reply()
        self._streaming.add(text, tokens)

    def mark_reply(self, mark: str) -> None:
        if self._streaming is not None:
            self._streaming.mark(mark)

    def stop_reply(self, note: str) -> None:
        if self._streaming is not None:
            self._streaming.stop(note)

    def end_reply(self) -> None:
        """The turn is over: a box with no reply, or one never finished (the turn failed), goes away."""
        streaming = self._streaming
        if streaming is not None and (not streaming.finished or not streaming.text):
            self._drop_reply()

    def _drop_reply(self) -> None:
        self._streaming.remove()
        self._streaming = None

    def sync(self, messages: tuple[Message, ...]) -> None:
        """Show `messages`: keep every unchanged block, mount new ones in place, drop a finished stream."""
        hidden = max(0, len(messages) - self.max_shown)
        shown = messages[hidden:]
        self._show_hidden_count(hidden)
        wanted = {(m.id, m.content) for m in shown}
        blocks = [w for w in self.children if isinstance(w, (MessageBlock, ReplyBlock)) and w is not self._streaming]
        kept: dict[tuple, Widget] = {b.key: b for b in blocks if b.key in wanted}
        stale: list[Widget] = [b for b in blocks if b.key not in wanted]
        streaming = self._streaming
        if streaming is not None and streaming.finished:
            self._streaming = None
            reply = shown[-1] if shown else None
            if streaming.text and reply is not None and reply.role == "assistant" and (reply.id, reply.content) not in kept:
                streaming.became(reply)  # the stopped stream stays on screen as the reply it was
                kept[streaming.key] = streaming
            else:
                stale.append(streaming)
            streaming = None
        if stale:
            if self._found in stale:
                self._found = None
            self.remove_children(stale)
        fresh: list[Widget] = []
        mounted = False
        for message in shown:
            block = kept.get((message.id, message.content))
            if block is None:
                fresh.append(_block_for(message))
            elif fresh:
                self.mount_all(fresh, before=block)
                fresh, mounted = [], True
        if fresh:
            # a reply that is still streaming stays below the messages it answers
            self.mount_all(fresh, before=streaming)
            mounted = True
        if mounted or stale:
            self.anchor()

    def show_match(self, message: Message, start: int, end: int) -> bool:
        """Mark the box of `message`, scroll to it and highlight `start:end` in it; False when it is not shown."""
        block = next((b for b in self.children if isinstance(b, (MessageBlock, ReplyBlock))
                      and b.key[0] == message.id), None)
        if block is None:
            return False
        if block is not self._found:
            self.clear_match()
            self._found = block
            block.add_class("-found")
        highlighted = block.highlight(start, end)
        self.release_anchor()
        if highlighted and isinstance(block, ReplyBlock) and block._found is not None:
            self.scroll_to_widget(block._found[0], animate=False)
        else:
            self.scroll_to_widget(block, animate=False)
        return True

    def clear_match(self) -> None:
        found, self._found = self._found, None
        if found is not None and found.is_attached:
            found.remove_class("-found")
            found.unhighlight()

    def _show_hidden_count(self, hidden: int) -> None:
        note = self.query_one("#earlier", Static)
        note.set_class(hidden > 0, "-shown")
        if hidden:
            note.update(f"{hidden:,} earlier message{'s' if hidden != 1 else ''}: see the history pane")


def _block_for(message: Message) -> MessageBlock | ReplyBlock:
    if message.role == "assistant":
        return ReplyBlock(message)
    return MessageBlock(message)

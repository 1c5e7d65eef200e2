"""The conversation: one widget per message, plus the reply streaming in.

A streaming reply only ever appends text; it becomes Markdown once the turn has ended.
Syncing with the history keeps every message widget whose message did not change.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Region, Size
from textual.reactive import Reactive
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Markdown, Static

from app.core.conversations.conversation import Message
from app.ui.display.text_wrap import wrap_keeping_text


class MessageBlock(Static):
    """A system or user message: plain text, shown as written."""

    def __init__(self, message: Message) -> None:
        super().__init__(Content(message.content), classes=f"message -{message.role}")
        self.key = (message.id, message.content)
        self.border_title = message.role


class ReplyBlock(Markdown):
    """A finished assistant reply, rendered once as Markdown."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.content, classes="message -assistant")
        self.key = (message.id, message.content)
        self.border_title = "assistant"


class StreamingReply(Widget):
    """The reply being generated: new text is appended, nothing is parsed until the end.

    Wrapped lines above the last one never change as text is added, so each append
    re-wraps only the last line and repaints it and the token count on the bottom row.
    A new line needs a new layout and scrolls the whole conversation, so when the text
    outgrows the widget it grows by `SPARE_ROWS` more than it needs.
    """

    DEFAULT_CSS = """
    StreamingReply { height: auto; }
    """
    SPARE_ROWS = 4
    virtual_size = Reactive(Size(0, 0), layout=False)  # it never scrolls: a new size is no second layout

    def __init__(self) -> None:
        super().__init__(classes="message -assistant -streaming")
        self.border_title = "assistant · reading the prompt"
        self._chunks: list[str] = []
        self._width = 0
        self._settled: list[str] = []  # wrapped lines that appending can no longer change
        self._last = ""  # the last wrapped line, still growing
        self._breaks: set[int] = set()  # settled lines that end a paragraph (the others are soft-wrapped)
        self._count = ""  # the bottom row: the reply's length so far
        self._rows = 2  # text rows plus the count row
        self.finished = False

    def append(self, text: str, tokens: int | None = None) -> None:
        """Add streamed text; `tokens`, the reply's length so far, shows on the bottom row."""
        if tokens is not None:
            self._count = f"{tokens:,} token{'s' if tokens != 1 else ''}"
        if text:
            if not self._chunks:
                self.border_title = "assistant · generating"
            self._chunks.append(text)
        width = self.content_size.width
        if not width or width != self._width:
            self.refresh(layout=True)  # wrapped in full for the new width when laid out
            return
        first_changed = len(self._settled)
        if text:
            self._add(text)
        needed = self._needed_rows()
        if needed > self._rows:
            self._rows = needed + self.SPARE_ROWS
            self.refresh(layout=True)
        else:
            self.refresh(Region(0, first_changed, width, len(self._settled) - first_changed + 1),
                         Region(0, self._rows - 1, width, 1))

    def _needed_rows(self) -> int:
        return len(self._settled) + 2

    def _add(self, text: str) -> None:
        *ended, growing = (self._last + text).split("\n")
        for paragraph in ended:
            self._settled.extend(wrap_keeping_text(paragraph, self._width))
            self._breaks.add(len(self._settled) - 1)
        lines = wrap_keeping_text(growing, self._width)
        self._settled.extend(lines[:-1])
        self._last = lines[-1]

    def _rewrap(self, width: int) -> None:
        self._width = width
        self._settled, self._last, self._breaks = [], "", set()
        self._add(self.text)
        self._rows = self._needed_rows()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width and width != self._width:
            self._rewrap(width)
        return self._rows

    def render_line(self, y: int) -> Strip:
        style = self.rich_style
        width = self.content_size.width
        n = len(self._settled)
        if y < n:
            line = self._settled[y]
        elif y == n:
            line = self._last
        elif y == self._rows - 1:
            style = style + Style(dim=True)
            line = self._count
        else:
            return Strip.blank(width, style)
        strip = Strip(self._segments(line.rstrip(), y, style) if y <= n else [Segment(line.rstrip(), style)])
        return strip.extend_cell_length(width, style).crop(0, width).apply_offsets(0, y)

    def _segments(self, line: str, y: int, style: Style) -> list[Segment]:
        """A text line, with the part under a mouse selection in the screen's selection style."""
        selection = self.text_selection
        span = selection.get_span(y) if selection is not None else None
        if span is None:
            return [Segment(line, style)]
        start, end = span
        end = len(line) if end == -1 else min(end, len(line))
        # the component's colour comes back equal to its background: only the background marks the selection
        selected = style + Style(bgcolor=self.screen.get_component_rich_style("screen--selection").bgcolor)
        return [Segment(line[:start], style), Segment(line[start:end], selected), Segment(line[end:], style)]

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The selected text as it streamed: soft-wrapped lines join without a line break."""
        parts: list[str] = []
        for y, line in enumerate([*self._settled, self._last]):
            span = selection.get_span(y)
            if span is None:
                continue
            start, end = span
            parts.append(line[start:] if end == -1 else line[start:end])
            if y in self._breaks:
                parts.append("\n")
        return "".join(parts), "\n"

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    def stop(self, note: str) -> None:
        self.finished = True
        self.border_title = f"assistant · {note}"


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
        self._streaming.append(text, tokens)

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
        blocks = [w for w in self.children if isinstance(w, (MessageBlock, ReplyBlock))]
        kept = {b.key: b for b in blocks if b.key in wanted}
        stale: list[Widget] = [b for b in blocks if b.key not in wanted]
        streaming = self._streaming
        if streaming is not None and streaming.finished:
            stale.append(streaming)  # the finished reply is now a message of its own
            streaming = self._streaming = None
        if stale:
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

    def _show_hidden_count(self, hidden: int) -> None:
        note = self.query_one("#earlier", Static)
        note.set_class(hidden > 0, "-shown")
        if hidden:
            note.update(f"{hidden:,} earlier message{'s' if hidden != 1 else ''}: see the history pane")


def _block_for(message: Message) -> MessageBlock | ReplyBlock:
    if message.role == "assistant":
        return ReplyBlock(message)
    return MessageBlock(message)

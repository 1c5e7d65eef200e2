"""The conversation: one widget per message, plus the reply streaming in.

A streaming reply only ever appends text; it becomes Markdown once the turn has ended.
Syncing with the history keeps every message widget whose message did not change.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widget import Widget
from textual.widgets import Markdown, Static

from app.core.conversation import Message


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

    It asks for a new screen layout only when its wrapped height changes; other updates
    repaint this widget alone.
    """

    DEFAULT_CSS = """
    StreamingReply { height: auto; }
    """

    def __init__(self) -> None:
        super().__init__(classes="message -assistant -streaming")
        self.border_title = "assistant · generating"
        self._chunks: list[str] = []
        self._content = Content("")
        self.finished = False

    def append(self, text: str, tokens: int | None = None) -> None:
        if tokens is not None and not self.finished:
            self.border_title = f"assistant · generating · {tokens:,} token{'s' if tokens != 1 else ''}"
        if not text:
            return
        self._chunks.append(text)
        self._content = Content("".join(self._chunks))
        width = self.content_size.width
        grows = not width or self._content.get_height(self.styles, width) != self.content_size.height
        self.refresh(layout=grows)

    def render(self) -> Content:
        return self._content

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

    def append_reply(self, text: str, tokens: int | None = None) -> None:
        """Add streamed text; `tokens`, the reply's length so far, goes in the block's title."""
        if self._streaming is None:
            self._streaming = StreamingReply()
            self.mount(self._streaming)
        self._streaming.append(text, tokens)

    def stop_reply(self, note: str) -> None:
        if self._streaming is not None:
            self._streaming.stop(note)

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

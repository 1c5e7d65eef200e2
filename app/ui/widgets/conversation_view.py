"""The conversation: one widget per message, plus the reply streaming in.

A streaming reply only ever appends text; it becomes Markdown once the turn has ended.
Syncing with the history keeps every message widget whose message did not change.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.content import Content
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


class StreamingReply(Static):
    """The reply being generated: new text is appended, nothing is parsed until the end."""

    def __init__(self) -> None:
        super().__init__("", classes="message -assistant -streaming", markup=False)
        self.border_title = "assistant · generating"
        self._chunks: list[str] = []
        self.finished = False

    def append(self, text: str) -> None:
        self._chunks.append(text)
        self.update(Content("".join(self._chunks)))

    @property
    def text(self) -> str:
        return "".join(self._chunks)

    def stop(self, note: str) -> None:
        self.finished = True
        self.border_title = f"assistant · {note}"


class ConversationView(VerticalScroll):
    DEFAULT_CSS = """
    ConversationView { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._streaming: StreamingReply | None = None

    def on_mount(self) -> None:
        self.anchor()

    def append_reply(self, text: str) -> None:
        if self._streaming is None:
            self._streaming = StreamingReply()
            self.mount(self._streaming)
        self._streaming.append(text)

    def stop_reply(self, note: str) -> None:
        if self._streaming is not None:
            self._streaming.stop(note)

    def sync(self, messages: tuple[Message, ...]) -> None:
        """Show `messages`: keep the unchanged prefix, rebuild the rest, drop a finished stream."""
        blocks = [w for w in self.children if isinstance(w, (MessageBlock, ReplyBlock))]
        keep = 0
        for block, message in zip(blocks, messages):
            if block.key != (message.id, message.content):
                break
            keep += 1
        stale = blocks[keep:]
        fresh = [_block_for(m) for m in messages[keep:]]
        streaming = self._streaming
        if streaming is not None and streaming.finished:
            stale.append(streaming)  # the finished reply is now a message of its own
            streaming = self._streaming = None
        if stale:
            self.remove_children(stale)
        if fresh:
            # a reply that is still streaming stays below the messages it answers
            self.mount_all(fresh, before=streaming)
        if fresh or stale:
            self.anchor()


def _block_for(message: Message) -> MessageBlock | ReplyBlock:
    if message.role == "assistant":
        return ReplyBlock(message)
    return MessageBlock(message)

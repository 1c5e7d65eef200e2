"""The multi-line message input: Enter sends, Ctrl+J (or Shift+Enter) starts a new line."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import TextArea

from app.ui.bindings import CHAT


class ChatInput(TextArea):
    DEFAULT_CSS = """
    ChatInput { height: 5; }
    """

    BINDINGS = list(CHAT.bindings)

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)
        self.placeholder = "Ask something. Enter sends · Ctrl+J new line · Esc cancels a reply"

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            return
        self.post_message(self.Submitted(text))

    def action_newline(self) -> None:
        self.insert("\n")

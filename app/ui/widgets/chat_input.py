"""The multi-line message input: Enter sends, Ctrl+J (or Shift+Enter) starts a new line, Ctrl+U clears it."""

from __future__ import annotations

from textual import events
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

    async def _on_key(self, event: events.Key) -> None:
        """Run this input's own bindings (Enter, Ctrl+J, or what [keys] maps them to) right here.

        Keys reach the input in the order they were typed, so "text, Enter" sends all the
        text and "one, Ctrl+J, two" puts the line break between the words. An action that
        skips (Ctrl+C with nothing selected here) lets the key go on to the screen and app.
        """
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.node is self:
            if await self.app.run_action(active.binding.action, self):
                event.stop()
                event.prevent_default()  # TextArea would insert a line break for Enter

    def action_send(self) -> None:
        """Hand the text to the app and empty the input at once, before the next key."""
        text = self.text
        if not text.strip():
            return
        self.clear()
        self.post_message(self.Submitted(text))

    def restore(self, text: str) -> None:
        self.insert(text + "\n" if self.text else text, location=(0, 0))

    def action_newline(self) -> None:
        self.insert("\n")

    def action_clear(self) -> None:
        """Empty the input as one edit, which the input's undo (ctrl+z) brings back."""
        if self.text:
            self.clear()

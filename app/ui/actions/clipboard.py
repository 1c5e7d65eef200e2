"""Copying to the clipboard: the selected text, or a whole message, each confirmed by a notification.

`ClipboardActions` is mixed into the app. Textual writes the clipboard with OSC 52, which
works over SSH and inside tmux; `App.clipboard` keeps what was copied last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from textual.actions import SkipAction

from app.core.conversations.conversation import Message
from app.ui import bindings
from app.ui.actions.palette import PaletteEntry


def copied_note(text: str, what: str = "") -> str:
    """'copied 312 characters (the last reply)'."""
    n = len(text)
    note = f"copied {n:,} character{'s' if n != 1 else ''}"
    return f"{note} ({what})" if what else note


def message_to_copy(messages: Sequence[Message], selected: int | None) -> tuple[Message, str] | None:
    """The message selected in the history pane, else the last reply; with words that name it."""
    if selected is not None and 0 <= selected < len(messages):
        message = messages[selected]
        role = "reply" if message.role == "assistant" else f"{message.role} message"
        return message, f"the selected {role}"
    for message in reversed(messages):
        if message.role == "assistant":
            return message, "the last reply"
    return None


class ClipboardActions:
    """Copy actions for `ContextWatchApp`."""

    def copy_to_clipboard(self, text: str, what: str = "") -> None:
        """Every copy, the input's own Ctrl+C and Ctrl+X included, says what went to the clipboard."""
        super().copy_to_clipboard(text)
        self.notify(copied_note(text, what), title="Clipboard")

    def action_copy_selection(self) -> None:
        """Copy the text selected with the mouse; with nothing selected the key falls through (to the quit hint)."""
        if not self._copy_selection():
            raise SkipAction()

    def _copy_selection(self) -> bool:
        text = self.screen.get_selected_text()
        if text:
            self.copy_to_clipboard(text, "the selection")
        return bool(text)

    def _palette_copy_selection(self) -> None:
        if not self._copy_selection():
            self.notify("Nothing is selected: drag over text with the mouse first.", severity="warning")

    def clipboard_palette_entries(self) -> Iterable[PaletteEntry]:
        binding = next(b for b in bindings.APP.bindings if b.id == "app.copy")
        yield PaletteEntry(binding.description, bindings.keys_label(binding, self.keymap, " or "),
                           self._palette_copy_selection)

    def action_copy_reply(self) -> None:
        if not self._showing():
            return
        selected = self.main.highlighted_message() if self.main.history_open else None
        found = message_to_copy(self.messages(), selected)
        if found is None:
            self.notify("There is no reply to copy yet.", severity="warning")
            return
        message, what = found
        self.copy_to_clipboard(message.content, what)

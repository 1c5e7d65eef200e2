"""The modal that edits one message of the history; it returns the new text or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from app.core.conversations.conversation import Message
from app.ui.bindings import EDITOR


class EditMessageScreen(ModalScreen[str | None]):
    BINDINGS = list(EDITOR.bindings)

    def __init__(self, index: int, message: Message) -> None:
        super().__init__()
        self.index = index
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog"):
            yield Static(
                Content.assemble(
                    (f"Edit message #{self.index} ", "bold"), (self.message.role, "bold $text-primary"),
                    ("  ·  the KV cache keeps every token before the first change", "$text-muted"),
                ),
                id="edit-title",
            )
            yield TextArea(self.message.content, soft_wrap=True, id="edit-text")
            with Horizontal(id="edit-buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="edit-save")
                yield Button("Cancel (Esc)", id="edit-cancel")

    def on_mount(self) -> None:
        editor = self.query_one("#edit-text", TextArea)
        editor.move_cursor(editor.document.end)
        editor.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "edit-save":
            self.action_save()
        else:
            self.action_close()

    def action_save(self) -> None:
        text = self.query_one("#edit-text", TextArea).text
        if not text.strip():
            self.notify("A message cannot be empty; delete it instead.", severity="warning")
            return
        self.dismiss(None if text == self.message.content else text)

    def action_close(self) -> None:
        self.dismiss(None)

"""The modal that edits one message of the history; it returns the new text or None.

It shows what the edit would cost the KV cache each way: it asks the app with `CostsWanted`
(once open, and again when the typing pauses), and the app sets `costs` from the engine thread's answer.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.screen import ModalScreen
from textual.widgets import Button, Static, TextArea

from app.core.conversations.conversation import Message
from app.core.engine.sync_costs import SyncCosts
from app.ui.bindings import EDITOR
from app.ui.widgets.sync_costs_view import SyncCostsView

TYPING_PAUSE_S = 0.6  # the cost is asked again once the text has not changed for this long


class EditMessageScreen(ModalScreen[str | None]):
    BINDINGS = list(EDITOR.bindings)

    costs: reactive[SyncCosts | None] = reactive(None, init=False)

    class CostsWanted(TextualMessage):
        """What replacing message `index` by `text` would cost the KV cache; the app answers in `screen.costs`."""

        def __init__(self, dialog: EditMessageScreen, index: int, text: str) -> None:
            super().__init__()
            self.dialog = dialog
            self.index = index
            self.text = text

    def __init__(self, index: int, message: Message) -> None:
        super().__init__()
        self.index = index
        self.message = message
        self._asked: str | None = None
        self._pause = None

    def compose(self) -> ComposeResult:
        with Vertical(id="edit-dialog"):
            yield Static(
                Content.assemble(
                    (f"Edit message #{self.index} ", "bold"), (self.message.role, "bold $text-primary"),
                ),
                id="edit-title",
            )
            yield SyncCostsView(waiting="KV cache: counting what the edit would cost…", id="edit-costs")
            yield TextArea(self.message.content, soft_wrap=True, id="edit-text")
            with Horizontal(id="edit-buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="edit-save")
                yield Button("Cancel (Esc)", id="edit-cancel")

    def on_mount(self) -> None:
        editor = self.query_one("#edit-text", TextArea)
        editor.move_cursor(editor.document.end)
        editor.focus()
        self._ask()

    def _ask(self) -> None:
        text = self.query_one("#edit-text", TextArea).text
        if text != self._asked and text.strip():
            self._asked = text
            self.post_message(self.CostsWanted(self, self.index, text))

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        if self._pause is not None:
            self._pause.stop()
        self._pause = self.set_timer(TYPING_PAUSE_S, self._ask)

    def watch_costs(self, costs: SyncCosts | None) -> None:
        self.query_one(SyncCostsView).costs = costs

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

"""Editing and deleting history messages from the app, each shown with its KV cache cost first.

`HistoryEditActions` is mixed into the app. The cost of an edit or a deletion, each way (shift,
exact), is computed on the engine thread by `PreviewHistoryEdit`; the edit dialog shows it while
it is open, and a deletion asks for a yes with the cost in front of it before anything changes.
"""

from __future__ import annotations

from functools import partial

from textual.content import Content

from app.core.engine.sync_costs import SyncCosts
from app.core.session import commands as cmd
from app.core.session.runner import CommandFinished
from app.ui import bindings
from app.ui.display.kv_sync import costs_line
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.edit_message import EditMessageScreen


class HistoryEditActions:
    """Edit and delete with their costs shown, for `ContextWatchApp`."""

    def edit_message(self, index: int) -> None:
        self.push_screen(EditMessageScreen(index, self.messages()[index]), partial(self._edited, index))

    def _edited(self, index: int, text: str | None) -> None:
        if text is not None:
            self.run_command(cmd.EditMessage(index, text))

    def on_edit_message_screen_costs_wanted(self, message: EditMessageScreen.CostsWanted) -> None:
        if not (self.engine_state.loaded and self.engine_state.idle):
            return  # the dialog keeps saying it is counting; the edit itself still works
        self.run_command(cmd.PreviewHistoryEdit(message.index, message.text), partial(self._edit_costed, message.dialog))

    def _edit_costed(self, dialog: EditMessageScreen, event: CommandFinished) -> None:
        if event.ok and dialog.is_attached:
            dialog.costs = event.result

    def ask_delete(self, index: int) -> None:
        """Count what the deletion would cost, then ask; the message goes only on a yes."""
        self.run_command(cmd.PreviewHistoryEdit(index), partial(self._delete_costed, index))

    def _delete_costed(self, index: int, event: CommandFinished) -> None:
        costs = event.result if event.ok else None
        message = self.messages()[index] if 0 <= index < len(self.messages()) else None
        if message is None:
            return
        undo = bindings.key_for("history.undo_delete", self.keymap)
        self.push_screen(ConfirmScreen(f"Delete message #{index} ({message.role})?", delete_detail(costs, undo),
                                       yes="Enter/y: delete", no="Esc: keep it"),
                         partial(self._delete_answered, index, message.id))

    def _delete_answered(self, index: int, message_id: object, yes: bool | None) -> None:
        messages = self.messages()
        if not yes:
            self.main.set_status(f"kept message #{index}: nothing changed")
            return
        if not (0 <= index < len(messages) and messages[index].id == message_id):
            self.notify("The history changed meanwhile: nothing was deleted.", severity="warning")
            return
        self.run_command(cmd.DeleteMessage(index), partial(self.message_deleted, index))


def delete_detail(costs: SyncCosts | None, undo_key: str) -> Content:
    """The cost lines of the confirmation, and how to bring the message back."""
    head = costs_line(costs, stacked=True) if costs is not None else Content.styled("KV cache: the cost could not be counted",
                                                                      "$text-muted")
    return Content("\n").join([head, Content.styled(f"{undo_key} in the history pane brings it back.", "$text-muted")])

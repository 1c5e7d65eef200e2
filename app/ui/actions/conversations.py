"""Kept conversations in the app: the list screen, opening one, starting anew, undoing a delete,
and keeping the conversation whole when the app closes.

`ConversationActions` is mixed into the app. Switching conversations and re-inserting a message
touch the model, so they go to the engine thread through `run_command`; each result comes back
to the callback sent with its command, which turns it into a status line.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from app.core.conversations.store import ConversationStore
from app.core.errors import ContextWatchError
from app.core.session import commands as cmd
from app.core.session.runner import CommandFinished
from app.ui import bindings
from app.ui.actions.palette import PaletteEntry
from app.ui.engine_link.engine_guard import engine_idle
from app.ui.screens.conversations import ConversationChoice, ConversationsScreen
from app.ui.widgets.history_pane import HistoryList


class ConversationActions:
    """The conversation list and delete-undo, for `ContextWatchApp`."""

    # ----- the list

    def action_conversations(self) -> None:
        if isinstance(self.screen, ConversationsScreen):
            self.screen.dismiss(None)
            return
        if self.screen is not self.main:
            return
        try:
            store = ConversationStore(self.conversations_folder)
        except (ContextWatchError, OSError) as err:
            self.notify(f"The conversations folder cannot be used: {err}", severity="error")
            return
        self.push_screen(ConversationsScreen(store, self.conversation_id), self._conversation_chosen)

    def _conversation_chosen(self, choice: ConversationChoice | None) -> None:
        if choice is None:
            return
        if choice.action == "new":
            self.start_new_conversation()
        elif choice.action == "open" and choice.id:
            self.open_conversation(choice.id, choice.title)

    def open_conversation(self, conversation_id: str, title: str = "") -> None:
        if not engine_idle(self, "opening a conversation"):
            return
        self.main.set_status(f"opening “{title}”: reading it into the KV cache…", busy=True)
        self.run_command(cmd.OpenConversation(conversation_id), self._conversation_opened)

    def start_new_conversation(self) -> None:
        if not engine_idle(self, "starting a new conversation"):
            return
        self.run_command(cmd.NewConversation(), self._new_conversation_started)

    # ----- delete, and its undo

    def on_history_list_undo_delete_requested(self, _message: HistoryList.UndoDeleteRequested) -> None:
        self.action_undo_delete()

    def action_undo_delete(self) -> None:
        if not self.can_undo_delete:
            self.notify("There is no deleted message to bring back.", severity="warning")
            return
        if engine_idle(self, "bringing the message back"):
            self.run_command(cmd.UndoDelete(), self._delete_undone)

    # ----- closing

    def conversation_closing(self) -> None:
        """Keep a reply cut short by the quit; after an error, leave the conversation unfinished."""
        if getattr(self, "_exception", None) is not None and self.conversations_folder is not None:
            self.runner.run(cmd.KeepAutosave())
        self.session.cancel(quitting=True)

    # ----- results from the engine thread

    def _conversation_opened(self, event: CommandFinished) -> None:
        if event.ok:
            opened = event.result
            self.notify(f"Opened “{opened.title}”: {opened.messages} messages.")
            self.main.set_status(f"opened “{opened.title}” · {opened.messages} messages")

    def _new_conversation_started(self, event: CommandFinished) -> None:
        if event.ok:
            key = bindings.key_for("app.conversations", self.keymap)
            self.main.set_status(f"ready · a new conversation · {key} lists the others")

    def message_deleted(self, index: int, event: CommandFinished) -> None:
        if event.ok:
            key = bindings.key_for("history.undo_delete", self.keymap)
            self.notify(f"Deleted message #{index}. Press {key} in the history pane "
                        "(or Ctrl+P › Undo delete) to bring it back.", title="Deleted", timeout=10)

    def _delete_undone(self, event: CommandFinished) -> None:
        if event.ok:
            self.notify("The deleted message is back in its place.")

    def conversation_palette_entries(self) -> Iterable[PaletteEntry]:
        binding = bindings.HISTORY_UNDO.bindings[0]
        yield PaletteEntry("Undo delete: bring back the message deleted last",
                           f"{self._keys_of(binding)} in the history pane", self.action_undo_delete)
        listing = bindings.key_for("app.conversations", self.keymap)
        yield PaletteEntry("New conversation", f"the current one stays in the list ({listing})",
                           partial(self._conversation_chosen, ConversationChoice("new")))

"""The list of kept conversations, updated last first: open one, start a new one, rename, delete.

Rename and delete are file operations on the conversation store. Opening and starting anew
touch the model, so the screen only dismisses with the choice and the app sends it to the
engine thread. A damaged file is listed with its reason; it can be deleted, never opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from app.core.conversations.store import (
    ConversationError,
    ConversationRecord,
    ConversationStore,
    DamagedFile,
    check_title,
)
from app.core.formatting import fmt_int
from app.core.growth.format import fmt_when
from app.ui.actions.palette import PaletteEntry
from app.ui.bindings import SCREEN, BindingScope, keys_label
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.snapshots import ScreenCommands

CONVERSATIONS = BindingScope(
    "conversations",
    "Conversation list",
    (
        Binding("enter", "open", "Open", priority=True, id="conversations.open"),
        Binding("n", "new", "New conversation", id="conversations.new"),
        Binding("r", "rename", "Rename", id="conversations.rename"),
        Binding("d,delete", "delete", "Delete", id="conversations.delete"),
        Binding("escape,q", "close", "Close", id="conversations.close"),
    ),
)

COLUMNS = (("title", "Title"), ("updated", "Updated"), ("messages", "Messages"), ("model", "Model"),
           ("state", "State"))


@dataclass(frozen=True)
class ConversationChoice:
    action: str  # "open" or "new"
    id: str | None = None
    title: str = ""


def record_state(record: ConversationRecord, current_id: str | None) -> str:
    parts = []
    if record.id == current_id:
        parts.append("open now")
    elif not record.finished:
        parts.append("cut short by a crash" if record.in_flight else "not closed cleanly")
    if record.origin:
        parts.append(f"from {record.origin}")
    return ", ".join(parts)


def _refuse_bad_title(title: str) -> None:
    check_title(title)


def model_name(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".gguf") if path else "?"


class ConversationsScreen(Screen[ConversationChoice | None]):
    CSS_PATH = "saved_sessions.tcss"
    BINDINGS = [*SCREEN.bindings, *CONVERSATIONS.bindings]
    COMMANDS = {ScreenCommands}

    def __init__(self, store: ConversationStore, current_id: str | None = None) -> None:
        super().__init__()
        self.store = store
        self.current_id = current_id
        self.rows: list[ConversationRecord | DamagedFile] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="conversations-info")
        yield DataTable(id="conversations-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Conversations"
        self.sub_title = "Enter opens · n new · r renames · d deletes · Esc closes"
        self.refresh_rows(select=self.current_id)
        self.query_one(DataTable).focus()

    # ----- rows

    def refresh_rows(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        listing = self.store.list()
        self.rows = [*listing.records, *listing.damaged]
        table.clear(columns=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        for row in self.rows:
            if isinstance(row, DamagedFile):
                table.add_row(Text(f"damaged file {row.file_name}", style="italic"), "", "", "", row.reason,
                              key=row.file_name)
                continue
            table.add_row(
                Text(row.title, style="bold" if row.id == self.current_id else ""),
                fmt_when(row.updated),
                Text(fmt_int(row.message_count), justify="right"),
                model_name(row.model),
                record_state(row, self.current_id),
                key=row.id,
            )
        keys = [self._key(r) for r in self.rows]
        if select in keys:
            table.move_cursor(row=keys.index(select))
        self._show_info(listing.damaged)

    @staticmethod
    def _key(row: ConversationRecord | DamagedFile) -> str:
        return row.file_name if isinstance(row, DamagedFile) else row.id

    def _show_info(self, damaged: tuple[DamagedFile, ...]) -> None:
        count = len(self.rows) - len(damaged)
        if count:
            text = Content.assemble(
                (f"{count} conversation{'s' if count != 1 else ''}", "bold $text-primary"),
                ("  ·  updated last first", "$text-muted"),
            )
        else:
            text = Content.assemble(("No conversations kept yet", "bold $text-primary"),
                                    ("  ·  each one is kept from its first message on", "$text-muted"))
        if damaged:
            text = Content.assemble(text, (f"  ·  {len(damaged)} damaged file{'s' if len(damaged) != 1 else ''}, "
                                           "not opened: the reason is under State", "$text-warning"))
        self.query_one("#conversations-info", Static).update(text)

    def selected(self) -> ConversationRecord | DamagedFile | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # ----- actions

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        row = self.selected()
        if isinstance(row, DamagedFile):
            self.notify(f"{row.file_name} cannot be opened: {row.reason}", severity="error")
        elif row is not None and row.id == self.current_id:
            self.dismiss(None)
        elif row is not None:
            self.dismiss(ConversationChoice("open", row.id, row.title))

    def action_new(self) -> None:
        self.dismiss(ConversationChoice("new"))

    def action_delete(self) -> None:
        row = self.selected()
        if row is None:
            return
        if isinstance(row, DamagedFile):
            question = ConfirmScreen(f"Delete the damaged file {row.file_name}?", f"It cannot be read: {row.reason}.",
                                     yes="Enter or y: delete")
        elif row.id == self.current_id:
            self.notify("This is the conversation you are in: press n to start a new one, then delete this one.",
                        severity="warning")
            return
        else:
            question = ConfirmScreen(
                f"Delete the conversation “{row.title}”?",
                f"{fmt_int(row.message_count)} messages, updated {fmt_when(row.updated)}. This cannot be undone.",
                yes="Enter or y: delete",
            )
        self.app.push_screen(question, partial(self._delete, row))

    def _delete(self, row: ConversationRecord | DamagedFile, yes: bool | None) -> None:
        if not yes:
            return
        try:
            if isinstance(row, DamagedFile):
                self.store.delete_damaged(row.file_name)
            else:
                self.store.delete(row.id)
        except (ConversationError, OSError) as err:
            self.notify(str(err), severity="error")
        else:
            self.notify(f"Deleted {row.file_name if isinstance(row, DamagedFile) else '“' + row.title + '”'}.")
        self.refresh_rows()

    def action_rename(self) -> None:
        row = self.selected()
        if isinstance(row, ConversationRecord):
            prompt = NamePromptScreen("Rename the conversation", row.title, _refuse_bad_title,
                                      "Enter renames · Esc cancels · one line, up to 80 characters")
            self.app.push_screen(prompt, partial(self._rename, row.id))

    def _rename(self, conversation_id: str, title: str | None) -> None:
        if not title:
            return
        try:
            record = self.store.rename(conversation_id, title)
        except (ConversationError, OSError) as err:
            self.notify(str(err), severity="error")
        else:
            self.notify(f"Renamed to “{record.title}”.")
        self.refresh_rows(select=conversation_id)

    def action_close(self) -> None:
        self.dismiss(None)

    def palette_entries(self):
        for binding in CONVERSATIONS.bindings:
            suffix = {"open": " the selected conversation", "rename": " the selected conversation",
                      "delete": " the selected conversation", "close": " the list"}.get(binding.action, "")
            keys = keys_label(binding, getattr(self.app, "keymap", {}), " or ")
            yield PaletteEntry(f"Conversations: {binding.description.lower()}{suffix}", keys,
                               partial(self.run_action, binding.action))

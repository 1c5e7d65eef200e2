"""The snapshot picker: every saved snapshot, newest first; Enter restores one.

Damaged snapshots are listed last with the reason: they can be deleted, not restored.
Deleting asks first; renaming asks for the new name. Both are file operations on the
snapshot store, never on the model: the screen dismisses with the name to restore and the
app sends that to the engine thread.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from app.core.files.field_checks import DamagedFile
from app.core.formatting import fmt_bytes, fmt_int
from app.core.growth.format import fmt_when
from app.core.snapshots.store import SnapshotError, SnapshotInfo, SnapshotStore, check_name
from app.ui.actions.palette import ContextWatchCommands, PaletteEntry
from app.ui.bindings import SCREEN, BindingScope, keys_label
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.name_prompt import NamePromptScreen

SNAPSHOTS = BindingScope(
    "snapshots",
    "Snapshot picker",
    (
        Binding("enter", "restore", "Restore", priority=True, id="snapshots.restore"),
        Binding("d,delete", "delete", "Delete", id="snapshots.delete"),
        Binding("r", "rename", "Rename", id="snapshots.rename"),
        Binding("escape,q", "close", "Close", id="snapshots.close"),
    ),
)

COLUMNS = (("name", "Name"), ("saved", "Saved"), ("model", "Model"), ("n_ctx", "n_ctx"),
           ("tokens", "Tokens"), ("messages", "Messages"), ("size", "Size"))


class ScreenCommands(ContextWatchCommands):
    """Palette entries of the screen the palette was opened on."""

    def _entries(self) -> list[PaletteEntry]:
        return list(self.screen.palette_entries())


class SnapshotPickerScreen(Screen[str | None]):
    CSS_PATH = "saved_sessions.tcss"
    BINDINGS = [*SCREEN.bindings, *SNAPSHOTS.bindings]
    COMMANDS = {ScreenCommands}

    def __init__(self, store: SnapshotStore | None = None, snapshot_key: str = "") -> None:
        super().__init__()
        self.store = store or SnapshotStore()
        self.snapshot_key = snapshot_key
        self.infos: list[SnapshotInfo] = []
        self.damaged: list[DamagedFile] = []  # listed after the good ones, with the reason

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="snapshots-info")
        yield DataTable(id="snapshots-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Snapshots"
        self.refresh_rows()
        self.query_one(DataTable).focus()

    # ----- rows

    def refresh_rows(self, select: str | None = None) -> None:
        table = self.query_one(DataTable)
        keep = select or (self.selected().name if self.selected() else None)
        listing = self.store.listing()
        self.infos, self.damaged = list(listing.infos), list(listing.damaged)
        table.clear(columns=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        for info in self.infos:
            table.add_row(
                Text(info.name, style="bold"),
                fmt_when(info.created),
                info.model_name,
                Text(fmt_int(info.n_ctx), justify="right"),
                Text(fmt_int(info.tokens), justify="right"),
                Text(fmt_int(info.messages), justify="right"),
                Text(fmt_bytes(info.bytes) if info.kv_reason is None else "no KV state", justify="right"),
                key=info.name,
            )
        for damaged in self.damaged:
            table.add_row(Text(damaged.file_name, style="italic"), "damaged", damaged.reason, "", "", "", "",
                          key=f"damaged:{damaged.file_name}")
        names = [i.name for i in self.infos]
        if keep in names:
            table.move_cursor(row=names.index(keep))
        self._show_info()

    def _show_info(self) -> None:
        damaged = (f" · {len(self.damaged)} damaged, listed last", "$text-warning") if self.damaged else ("", "")
        if self.infos:
            text = Content.assemble(
                (f"{len(self.infos)} snapshot{'s' if len(self.infos) != 1 else ''}", "bold $text-primary"),
                (f" in {self.store.folder}", "$text-muted"), damaged,
            )
        else:
            text = Content.assemble(
                ("No snapshots yet", "bold $text-primary"),
                (f"  ·  {self.snapshot_key or 'Ctrl+P › Snapshot'} on the main screen takes one", "$text-muted"),
                damaged,
            )
        self.query_one("#snapshots-info", Static).update(text)
        self.sub_title = "Enter restores · d deletes · r renames · Esc closes"

    def selected(self) -> SnapshotInfo | None:
        table = self.query_one(DataTable)
        if not self.infos or not 0 <= table.cursor_row < len(self.infos):
            return None
        return self.infos[table.cursor_row]

    # ----- actions

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_restore()

    def selected_damaged(self) -> DamagedFile | None:
        row = self.query_one(DataTable).cursor_row - len(self.infos)
        return self.damaged[row] if 0 <= row < len(self.damaged) else None

    def action_restore(self) -> None:
        info = self.selected()
        if info is not None:
            self.dismiss(info.name)
        elif (damaged := self.selected_damaged()) is not None:
            self.notify(f"{damaged.file_name} cannot be restored: {damaged.reason}", severity="error")

    def action_delete(self) -> None:
        info = self.selected()
        if info is None:
            damaged = self.selected_damaged()
            if damaged is not None:
                question = ConfirmScreen(f"Delete damaged snapshot {damaged.file_name}?", damaged.reason,
                                         yes="Enter or y: delete")
                self.app.push_screen(question, partial(self._delete, damaged.file_name.removesuffix(".json")))
            return
        question = ConfirmScreen(
            f"Delete snapshot {info.name}?",
            f"{fmt_int(info.tokens)} tokens, {fmt_bytes(info.bytes)}, saved {fmt_when(info.created)}. "
            "This cannot be undone.",
            yes="Enter or y: delete",
        )
        self.app.push_screen(question, partial(self._delete, info.name))

    def _delete(self, name: str, yes: bool | None) -> None:
        if not yes:
            return
        try:
            self.store.delete(name)
        except SnapshotError as err:
            self.notify(str(err), severity="error")
        else:
            self.notify(f"Deleted snapshot {name}.")
        self.refresh_rows()

    def action_rename(self) -> None:
        info = self.selected()
        if info is None:
            return
        prompt = NamePromptScreen(f"Rename snapshot {info.name}", info.name, partial(self._check_new_name, info.name))
        self.app.push_screen(prompt, partial(self._rename, info.name))

    def _check_new_name(self, old: str, new: str) -> None:
        check_name(new)
        if new != old and self.store.exists(new):
            raise SnapshotError(f"a snapshot named {new!r} already exists")

    def _rename(self, old: str, new: str | None) -> None:
        if not new or new == old:
            return
        self.run_worker(partial(self._rename_files, old, new), name="rename", group="rename",
                        thread=True, exit_on_error=False)

    def _rename_files(self, old: str, new: str) -> str:
        self.store.rename(old, new)
        return new

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "rename":
            return
        if event.state is WorkerState.SUCCESS:
            self.notify(f"Renamed to {event.worker.result}.")
            self.refresh_rows(select=event.worker.result)
        elif event.state is WorkerState.ERROR:
            self.notify(str(event.worker.error), severity="error")
            self.refresh_rows()

    def action_close(self) -> None:
        self.dismiss(None)

    def palette_entries(self):
        for binding in SNAPSHOTS.bindings:
            title = f"Snapshots: {binding.description.lower()}" + (
                " the selected snapshot" if binding.action != "close" else " the picker")
            keys = keys_label(binding, getattr(self.app, "keymap", {}), " or ")
            yield PaletteEntry(title, keys, partial(self.run_action, binding.action))

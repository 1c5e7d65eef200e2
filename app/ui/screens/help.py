"""Every key binding, as the keymap in config.toml has left it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from app.ui.bindings import VIEWER, all_scopes, effective_keys


class HelpScreen(ModalScreen[None]):
    BINDINGS = list(VIEWER.bindings)

    def __init__(self, keymap: dict[str, str]) -> None:
        super().__init__()
        self.keymap = keymap

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static(
                Content.assemble(
                    ("Keys", "bold $text-primary"),
                    ("   remap any of them in config.toml under [keys], e.g. ", "$text-muted"),
                    ('"app.history" = "ctrl+o"', "$text-accent"),
                ),
                id="help-title",
            )
            yield DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            yield Static(Content.styled("Esc or q closes · Ctrl+P lists every action", "$text-muted"), id="help-foot")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Where", "Key", "Action", "Id")
        for scope in all_scopes():
            for binding in scope.bindings:
                table.add_row(scope.title, self._keys(binding), binding.description or binding.action, binding.id)
        table.focus()

    def _keys(self, binding: Binding) -> str:
        keys = effective_keys(binding, self.keymap).split(",")
        return ", ".join(self.app.get_key_display(Binding(k.strip(), binding.action)) for k in keys)

    def action_close(self) -> None:
        self.dismiss(None)

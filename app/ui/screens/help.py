"""Every key binding, as the keymap in config.toml has left it, grouped by where it works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Static

from app.ui.bindings import VIEWER, all_scopes, keys_label
from app.ui.display.key_table import KeyGroup, KeyRow, key_table
from app.ui.widgets.text_block import LivePanel


def key_groups(keymap: dict[str, str]) -> tuple[KeyGroup, ...]:
    """One group per place the keys work: scopes with one title (the history pane's) share it."""
    rows: dict[str, list[KeyRow]] = {}
    for scope in all_scopes():
        rows.setdefault(scope.title, []).extend(
            KeyRow(keys_label(b, keymap), b.description or b.action, b.id or "") for b in scope.bindings)
    return tuple(KeyGroup(title, tuple(group)) for title, group in rows.items())


class KeyTable(LivePanel):
    def __init__(self, groups: tuple[KeyGroup, ...], **kwargs) -> None:
        super().__init__(**kwargs)
        self.groups = groups

    def draw(self, width: int) -> Content:
        return key_table(self.groups, width)


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
                    ('"app.history" = "f11"', "$text-accent"),
                ),
                id="help-title",
            )
            with VerticalScroll(id="help-table"):
                yield KeyTable(key_groups(self.keymap), id="help-keys")
            yield Static(Content.styled("Esc or q closes · ↑ ↓ PgUp PgDn scroll · Ctrl+P lists every action", "$text-muted"),
                         id="help-foot")

    def on_mount(self) -> None:
        self.query_one("#help-table").focus()

    def action_close(self) -> None:
        self.dismiss(None)

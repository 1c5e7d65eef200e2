"""The turns that grew the context most, coloured by growth, under the session's statistics."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from app.core.errors import ContextWatchError
from app.core.formatting import fmt_int
from app.core.growth.format import (
    fmt_average,
    fmt_context_change,
    fmt_growth,
    fmt_growth_pct,
    fmt_when,
    growth_level,
    prompt_excerpt,
)
from app.core.growth.records import GrowthRow
from app.core.growth.store import GrowthStore
from app.ui.bindings import SCREEN, BindingScope

GROWTH = BindingScope(
    "growth",
    "Growth screen",
    (
        Binding("s", "cycle_sort", "Sort", id="growth.sort"),
        Binding("enter", "jump", "Jump to turn", priority=True, id="growth.jump"),
        Binding("escape,q", "close", "Close", id="growth.close"),
    ),
)

SORT_ORDER = ("growth", "growth_pct", "time", "context_after")
SORT_TITLES = {"growth": "growth", "growth_pct": "growth %", "time": "time", "context_after": "context"}
ROW_LIMIT = 500

# column key, label, the sort a click on its header picks
COLUMNS = (
    ("session", "Session", None),
    ("turn", "Turn", None),
    ("time", "Time", "time"),
    ("prompt", "Prompt", None),
    ("context", "Before → After", "context_after"),
    ("growth", "Growth", "growth"),
    ("growth_pct", "Growth %", "growth_pct"),
)


class GrowthScreen(Screen[int | None]):
    BINDINGS = [*SCREEN.bindings, *GROWTH.bindings]
    DEFAULT_CSS = """
    GrowthScreen #growth-stats { height: auto; padding: 0 1; }
    GrowthScreen #growth-table { height: 1fr; }
    """

    sort_key: reactive[str] = reactive("growth", init=False)

    class JumpToTurn(Message):
        """The user picked a turn: show its message in the conversation."""

        def __init__(self, turn_index: int, session_id: int | None = None) -> None:
            super().__init__()
            self.turn_index = turn_index
            self.session_id = session_id

    def __init__(self, store: GrowthStore, session_id: int | None = None) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id
        self.rows: list[GrowthRow] = []

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(id="growth-stats")
        yield DataTable(id="growth-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Context growth"
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_rows())
        self.refresh_stats()
        self.refresh_rows()
        self.query_one(DataTable).focus()

    def watch_sort_key(self) -> None:
        self.refresh_rows()

    def refresh_stats(self) -> None:
        try:
            stats = self.store.session_stats(self.session_id)
            scope = self._scope()
        except ContextWatchError as err:
            self.notify(str(err), severity="error")
            return
        parts: list[tuple[str, str] | str] = [(scope, "bold $text-primary"), "\n"]
        for label, value in (
            ("Turns", fmt_int(stats.turns)),
            ("Average growth", fmt_average(stats.average_growth)),
            ("Largest growth", fmt_growth(stats.largest_growth)),
            ("Total growth", fmt_growth(stats.total_growth)),
            ("Peak context", fmt_int(stats.peak_context)),
        ):
            parts += [(f"{label} ", "$text-muted"), (value, "bold"), "   "]
        self.query_one("#growth-stats", Static).update(Content.assemble(*parts))

    def _scope(self) -> str:
        if self.session_id is None:
            return "All sessions"
        info = self.store.session(self.session_id)
        details = [info.source, info.model or "unknown model"]
        if info.n_ctx:
            details.append(f"n_ctx {fmt_int(info.n_ctx)}")
        return f"Session {info.id} · " + " · ".join(details)

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        keep = self.selected_row()
        try:
            self.rows = self.store.top_growth(limit=ROW_LIMIT, min_growth=None, session_id=self.session_id,
                                              sort=self.sort_key)
        except ContextWatchError as err:
            self.notify(str(err), severity="error")
            self.rows = []
        table.clear(columns=True)
        for key, label, sort in COLUMNS:
            table.add_column(label + (" ▼" if sort == self.sort_key else ""), key=key)
        largest = max((r.growth for r in self.rows), default=0)
        palette = self._palette()
        for row in self.rows:
            style = Style(color=_blend(palette, growth_level(row.growth, largest)).rich_color, bold=True)
            table.add_row(
                str(row.session_id),
                str(row.turn_index),
                fmt_when(row.time),
                prompt_excerpt(row.prompt, 48),
                Text(fmt_context_change(row.context_before, row.context_after), justify="right"),
                Text(fmt_growth(row.growth), style=style, justify="right"),
                Text(fmt_growth_pct(row.growth_pct), style=style, justify="right"),
                key=str(row.turn_id),
            )
        self.sub_title = f"sorted by {SORT_TITLES[self.sort_key]}"
        if keep is not None:
            table.move_cursor(row=next((i for i, r in enumerate(self.rows) if r.turn_id == keep.turn_id), 0))

    def _palette(self) -> tuple[Color, Color, Color]:
        colors = self.app.current_theme.to_color_system().generate()
        return Color.parse(colors["success"]), Color.parse(colors["warning"]), Color.parse(colors["error"])

    def selected_row(self) -> GrowthRow | None:
        table = self.query_one(DataTable)
        if not self.rows or not 0 <= table.cursor_row < len(self.rows):
            return None
        return self.rows[table.cursor_row]

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        sort = next((s for key, _, s in COLUMNS if key == event.column_key.value), None)
        if sort:
            self.sort_key = sort

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        row = next((r for r in self.rows if str(r.turn_id) == event.row_key.value), None)
        if row is not None:
            self._jump(row)

    def action_cycle_sort(self) -> None:
        self.sort_key = SORT_ORDER[(SORT_ORDER.index(self.sort_key) + 1) % len(SORT_ORDER)]

    def action_jump(self) -> None:
        row = self.selected_row()
        if row is not None:
            self._jump(row)

    def _jump(self, row: GrowthRow) -> None:
        self.app.post_message(self.JumpToTurn(row.turn_index, row.session_id))
        self.dismiss(row.turn_index)

    def action_close(self) -> None:
        self.dismiss(None)


def _blend(palette: tuple[Color, Color, Color], level: float) -> Color:
    """Green at 0, amber at 0.5, red at 1."""
    low, mid, high = palette
    if level <= 0.5:
        return low.blend(mid, level * 2)
    return mid.blend(high, (level - 0.5) * 2)

"""A finished context-size sweep: the table and the two charts the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from app.core.sweep.charts import memory_spec, render, speed_spec
from app.core.sweep.report import COLUMNS, table_rows
from app.core.sweep.run import SweepResult
from app.ui.actions.early_keys import OpensOnItsOwn
from app.ui.bindings import SCREEN, VIEWER


class SweepScreen(OpensOnItsOwn, Screen[None]):
    DEFAULT_CSS = """
    SweepScreen #sweep-table { height: auto; max-height: 50%; }
    SweepScreen #sweep-charts { height: auto; }
    SweepScreen .sweep-chart { width: 1fr; height: auto; color: $foreground; padding: 0 1; }
    SweepScreen #sweep-empty { color: $text-muted; padding: 1 2; }
    """
    BINDINGS = [*SCREEN.bindings, *VIEWER.bindings]

    def __init__(self, results: Sequence[SweepResult]) -> None:
        super().__init__()
        self.results = list(results)
        self.specs = (memory_spec(self.results), speed_spec(self.results))

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with VerticalScroll(id="sweep-body"):
            if not self.results:
                yield Static(Content.styled("The sweep has no results.", "$text-muted"), id="sweep-empty")
            yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="sweep-charts"):
                yield Static(id="sweep-chart-memory", classes="sweep-chart")
                yield Static(id="sweep-chart-speed", classes="sweep-chart")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Context-size sweep"
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        table.add_rows(table_rows(self.results))
        table.focus()

    def on_resize(self) -> None:
        self.draw_charts()

    def draw_charts(self) -> None:
        """Each chart gets half the width (less its padding) and about half the height."""
        width, height = self.size.width // 2 - 2, self.size.height // 2 - 4
        for spec, chart_id in zip(self.specs, ("#sweep-chart-memory", "#sweep-chart-speed")):
            self.query_one(chart_id, Static).update(Content(render(spec, width, height)))

    def action_close(self) -> None:
        self.dismiss(None)

"""Charts: per-token latency of the last turn, RSS against tokens, context used per turn."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Header

from app.ui.bindings import SCREEN, VIEWER
from app.ui.display.chart_data import ChartData
from app.ui.widgets.plot_chart import PlotChart

REFRESH_SECONDS = 1.0


class ChartsScreen(Screen[None]):
    BINDINGS = [*SCREEN.bindings, *VIEWER.bindings]

    def __init__(self, source: Callable[[], ChartData]) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Grid(id="charts-grid"):
            yield PlotChart("Per-token latency, last turn", "token", "ms", id="chart-latency")
            yield PlotChart("Process RSS over tokens", "tokens processed", "MiB", id="chart-rss")
            yield PlotChart("Context used per turn", "turn", "tokens", kind="bar", id="chart-context")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_charts()
        self.set_interval(REFRESH_SECONDS, self.refresh_charts)

    def refresh_charts(self) -> None:
        data = self.source()
        self.query_one("#chart-latency", PlotChart).points = data.latency_points()
        self.query_one("#chart-rss", PlotChart).points = data.rss_points()
        self.query_one("#chart-context", PlotChart).points = data.context_points()

    def action_close(self) -> None:
        self.dismiss(None)

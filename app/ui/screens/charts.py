"""Charts: per-token latency of the last turn, RSS against tokens, context used and prefix-cache hits per turn."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import Screen
from textual.widgets import Footer, Header

from app.core.telemetry.chart_series import ChartSeries
from app.ui.bindings import SCREEN, VIEWER
from app.ui.display.chart_data import cache_hit_points, context_points, latency_points, rss_points
from app.ui.widgets.plot_chart import PlotChart

REFRESH_SECONDS = 1.0
SHORT_ROWS = 32  # below this height the charts drop their frames and gaps (class -short)


class ChartsScreen(Screen[None]):
    BINDINGS = [*SCREEN.bindings, *VIEWER.bindings]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (SHORT_ROWS, "-tall")]

    def __init__(self, source: Callable[[], ChartSeries]) -> None:
        super().__init__()
        self.source = source

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        with Grid(id="charts-grid"):
            yield PlotChart("Per-token latency, last turn", "token", "ms", id="chart-latency")
            yield PlotChart("Process RSS over tokens", "tokens processed", "MiB", id="chart-rss")
            yield PlotChart("Context used per turn", "turn", "tokens", kind="bar", id="chart-context")
            yield PlotChart("Prompt reused from the KV cache per turn", "turn", "%", kind="bar", id="chart-cache")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_charts()
        self.set_interval(REFRESH_SECONDS, self.refresh_charts)

    def refresh_charts(self) -> None:
        series = self.source()
        self.query_one("#chart-latency", PlotChart).points = latency_points(series)
        self.query_one("#chart-rss", PlotChart).points = rss_points(series)
        self.query_one("#chart-context", PlotChart).points = context_points(series)
        self.query_one("#chart-cache", PlotChart).points = cache_hit_points(series)

    def action_close(self) -> None:
        self.dismiss(None)

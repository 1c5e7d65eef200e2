"""A plotext chart in a widget: it redraws from its `points` whenever they or its size change."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from app.ui.display.plotting import bar_chart, line_chart


class PlotChart(Widget):
    DEFAULT_CSS = """
    PlotChart { height: 1fr; color: $primary; }
    """

    points: reactive[tuple[tuple[float, ...], tuple[float, ...]]] = reactive(((), ()))

    def __init__(self, title: str, xlabel: str, ylabel: str, kind: str = "line", **kwargs) -> None:
        super().__init__(**kwargs)
        self.title = title
        self.xlabel = xlabel
        self.ylabel = ylabel
        self.kind = kind

    def render(self) -> Content:
        xs, ys = self.points
        if not xs:
            return Content.assemble((self.title, "bold"), "\n", ("no data yet", "$text-muted"))
        width, height = self.content_size
        draw = bar_chart if self.kind == "bar" else line_chart
        return Content(draw(xs, ys, width, height, self.title, self.xlabel, self.ylabel).rstrip("\n"))

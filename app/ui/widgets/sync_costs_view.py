"""What a history change would cost the KV cache each way, on one line where it fits, else one way a line."""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Static

from app.core.engine.sync_costs import SyncCosts
from app.ui.display.kv_sync import costs_line


class SyncCostsView(Static):
    DEFAULT_CSS = """
    SyncCostsView { height: auto; }
    """

    costs: reactive[SyncCosts | None] = reactive(None, init=False)

    def __init__(self, costs: SyncCosts | None = None, waiting: str = "", **kwargs) -> None:
        super().__init__(Content.styled(waiting, "$text-muted"), **kwargs)
        self.set_reactive(SyncCostsView.costs, costs)

    def watch_costs(self) -> None:
        self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """The layout picks the form for the width it gives, then measures it."""
        costs = self.costs
        if costs is not None:
            line = costs_line(costs)
            fits = len(line.plain.splitlines()[0]) <= width
            self.update(line if fits else costs_line(costs, stacked=True), layout=False)
        return super().get_content_height(container, viewport, width)

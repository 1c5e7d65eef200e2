"""One line under the input: what the engine is doing right now."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class StatusLine(Widget):
    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; color: $text-muted; }
    StatusLine.-busy { color: $text-warning; }
    """

    text: reactive[str] = reactive("starting")
    busy: reactive[bool] = reactive(False)

    def watch_busy(self, busy: bool) -> None:
        self.set_class(busy, "-busy")

    def render(self) -> Content:
        return Content(self.text)

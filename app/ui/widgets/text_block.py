"""A block of text that repaints on change and asks for a new layout only when its line count changes."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget


class TextBlock(Widget):
    DEFAULT_CSS = """
    TextBlock { height: auto; }
    """

    content: reactive[Content] = reactive(Content(""))

    def watch_content(self, old: Content, new: Content) -> None:
        if old.plain.count("\n") != new.plain.count("\n"):
            self.refresh(layout=True)

    def render(self) -> Content:
        return self.content

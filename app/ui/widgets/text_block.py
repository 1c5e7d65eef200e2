"""Styled text that repaints only the rows that changed and asks for a layout only when the row count changes.

The sidebar is rewritten several times a second while a reply streams, and most of its
rows stay the same; repainting only the rows that differ keeps that cheap.
"""

from __future__ import annotations

from textual.content import Content
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual
from textual.widget import Widget


class TextBlock(Widget):
    DEFAULT_CSS = """
    TextBlock { height: auto; }
    """

    def __init__(self, content: Content | str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Content(content) if isinstance(content, str) else content
        self._width = 0  # the width `_rows` were wrapped to; 0 until the first layout
        self._rows: list[Content] = []
        self._strips: dict[int, Strip] = {}

    @property
    def content(self) -> Content:
        return self._text

    @content.setter
    def content(self, content: Content) -> None:
        self._text = content
        if not self._width:
            if not self._hidden():
                self.refresh(layout=True)  # sized by its first layout; a hidden one by the layout that shows it
            return
        old, self._rows = self._rows, _rows(content, self._width)
        if len(old) != len(self._rows):
            self._strips.clear()
            self.refresh(layout=True)
            return
        changed = [y for y, (before, after) in enumerate(zip(old, self._rows))
                   if before.plain != after.plain or before.spans != after.spans]
        for y in changed:
            self._strips.pop(y, None)
        if changed:
            self.refresh(*(Region(0, y, self._width, 1) for y in changed))

    def _hidden(self) -> bool:
        return self.is_mounted and not all(node.display for node in self.ancestors_with_self)

    def _wrap_to(self, width: int) -> None:
        if width != self._width:
            self._width = width
            self._rows = _rows(self._text, width) if width else []
            self._strips.clear()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._wrap_to(width)
        return len(self._rows)

    def render_line(self, y: int) -> Strip:
        width = self.content_size.width
        self._wrap_to(width)
        strip = self._strips.get(y)
        if strip is None:
            row = self._rows[y] if y < len(self._rows) else Content("")
            strip = Visual.to_strips(self, row, width, 1, self.visual_style, pad=True)[0]
            self._strips[y] = strip
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()


def _rows(content: Content, width: int) -> list[Content]:
    """The screen rows of `content` at `width`: its lines, wrapped where they are too long."""
    return [row for line in content.split("\n", allow_blank=True)
            for row in (line.wrap(width) if line.cell_length > width else (line,))]


class LivePanel(TextBlock):
    """A panel drawn from its own state: `draw` gives its text for a width; `redraw` shows it."""

    def draw(self, width: int) -> Content:
        raise NotImplementedError

    def redraw(self) -> None:
        self.content = self.draw(self.content_size.width or 40)

    def on_mount(self) -> None:
        self.redraw()

    def on_resize(self) -> None:
        self.redraw()

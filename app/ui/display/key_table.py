"""The help screen's table of keys, laid out for a width: a title per scope, then key, action and id.

The id column is as wide as the longest id (up to half the width), so an id is never cut;
keys and actions wrap onto more lines instead when the table is narrow.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.content import Content

GAP = 2
MIN_KEY_WIDTH = 8


@dataclass(frozen=True)
class KeyRow:
    keys: str
    action: str
    binding_id: str


@dataclass(frozen=True)
class KeyGroup:
    title: str
    rows: tuple[KeyRow, ...]


@dataclass(frozen=True)
class ColumnWidths:
    keys: int
    action: int
    binding_id: int


def column_widths(groups: Sequence[KeyGroup], width: int) -> ColumnWidths:
    """Natural widths when they fit; else the id keeps its width and keys and action share the rest."""
    rows = [row for group in groups for row in group.rows]
    keys = max((Content(r.keys).cell_length for r in rows), default=0)
    action = max((Content(r.action).cell_length for r in rows), default=0)
    binding_id = min(max((len(r.binding_id) for r in rows), default=0), max(1, width // 2))
    rest = max(2, width - binding_id - 2 * GAP)
    if keys + action <= rest:
        return ColumnWidths(keys, rest - keys, binding_id)
    key_width = min(keys, max(MIN_KEY_WIDTH, rest // 3))
    return ColumnWidths(key_width, max(1, rest - key_width), binding_id)


def _cell(text: str, width: int, style: str = "") -> list[Content]:
    return Content.styled(text, style).wrap(width) or [Content("")]


def key_table(groups: Sequence[KeyGroup], width: int) -> Content:
    """Every group's title and rows as lines of at most `width` cells."""
    widths = column_widths(groups, width)
    lines: list[Content] = []
    for group in groups:
        if lines:
            lines.append(Content(""))
        lines.append(Content.styled(group.title, "bold $text-primary"))
        for row in group.rows:
            keys = _cell(row.keys, widths.keys, "bold $text-accent")
            action = _cell(row.action, widths.action)
            binding_id = _cell(row.binding_id, widths.binding_id, "$text-muted")
            for n in range(max(len(keys), len(action), len(binding_id))):
                parts = [
                    (keys[n] if n < len(keys) else Content("")).pad_right(widths.keys - _len(keys, n)),
                    " " * GAP,
                    (action[n] if n < len(action) else Content("")).pad_right(widths.action - _len(action, n)),
                    " " * GAP,
                    binding_id[n] if n < len(binding_id) else Content(""),
                ]
                lines.append(Content.assemble(*parts).rstrip())
    return Content("\n").join(lines)


def _len(cells: list[Content], n: int) -> int:
    return cells[n].cell_length if n < len(cells) else 0

"""Text bars for the sidebar: cell counts only; every value they show comes from core."""

from __future__ import annotations

from textual.content import Content

FULL = "█"
EMPTY = "░"
TICK = "│"
EMPTY_STYLE = "$foreground-muted"


def cells(value: float, scale: float, width: int) -> int:
    """How many of `width` cells `value` fills on a bar whose full length is `scale`."""
    if scale <= 0 or width <= 0:
        return 0
    return max(0, min(width, round(width * value / scale)))


def level_bar(percent: float, width: int, style: str, tick_percent: float | None = None) -> Content:
    """A bar filled to `percent` of `width`, with an optional tick (e.g. the threshold)."""
    filled = cells(percent, 100.0, width)
    chars = [FULL] * filled + [EMPTY] * (width - filled)
    tick = cells(tick_percent, 100.0, width) if tick_percent is not None else None
    parts: list[tuple[str, str]] = []
    for i, ch in enumerate(chars):
        if tick is not None and i == min(tick, width - 1):
            parts.append((TICK, "bold $foreground"))
        else:
            parts.append((ch, style if ch == FULL else EMPTY_STYLE))
    return Content.assemble(*_merge(parts))


def stacked_bar(parts: list[tuple[int, str]], scale: int, width: int) -> Content:
    """Segments of (value, style) laid end to end against a scale; the rest is empty."""
    out: list[tuple[str, str]] = []
    used_value = 0
    used_cells = 0
    for value, style in parts:
        used_value += value
        end = cells(used_value, scale, width)
        n = max(0, end - used_cells)
        if n:
            out.append((FULL * n, style))
            used_cells += n
    if used_cells < width:
        out.append((EMPTY * (width - used_cells), EMPTY_STYLE))
    return Content.assemble(*out)


def _merge(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for text, style in parts:
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return merged


def badge(label: str, style: str) -> Content:
    return Content.assemble((f" {label} ", f"bold $background on {style}"))


def header(title: str, right: Content | str = "", width: int = 0) -> Content:
    """A panel title on the left and a value or badge on the right of one line."""
    left = Content.styled(title, "bold $text-primary")
    right_content = right if isinstance(right, Content) else Content(right)
    gap = max(1, width - left.cell_length - right_content.cell_length)
    return Content.assemble(left, " " * gap, right_content)


LABEL = "$text-muted"


def row(*cells: tuple[str, Content | str], widths: tuple[int, ...] = (10, 12, 8)) -> Content:
    """Label/value pairs in fixed columns: `row(("used", "1,490"), ("free", "250"))`.

    A label or value wider than its column still ends with a space, so it never runs into the next one.
    """
    parts: list[Content] = []
    for i, (label, value) in enumerate(cells):
        value_content = value if isinstance(value, Content) else Content(value)
        label_width = widths[0] if i == 0 else widths[2]
        parts.append(Content.styled(label.ljust(label_width if not label else max(label_width, len(label) + 1)), LABEL))
        if i < len(cells) - 1:
            value_content = value_content.pad_right(max(1, widths[1] - value_content.cell_length))
        parts.append(value_content)
    return Content.assemble(*parts)

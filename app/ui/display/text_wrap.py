"""Greedy word wrap that keeps every character, so wrapped lines join back into the text."""

from __future__ import annotations

import re

from rich.cells import cell_len

_PIECES = re.compile(r"\S+\s*|\s+")


def wrap_keeping_text(text: str, width: int) -> list[str]:
    """Lines of at most `width` cells (trailing spaces aside); `"".join(lines) == text`.

    A word wider than a line is cut at the line's width. Appending to the text only ever
    changes its last line onward, which lets a growing text be re-wrapped from there.
    """
    width = max(1, width)
    lines: list[str] = []
    line = ""
    for piece in _PIECES.findall(text):
        if line and cell_len(line + piece.rstrip()) > width:
            lines.append(line)
            line = ""
        while cell_len(piece.rstrip()) > width and not line:
            cut = _fit(piece, width)
            lines.append(piece[:cut])
            piece = piece[cut:]
        line += piece
    lines.append(line)
    return lines


def _fit(text: str, width: int) -> int:
    """The longest prefix of `text` (at least one character) that fits in `width` cells."""
    used = 0
    for i, ch in enumerate(text):
        used += cell_len(ch)
        if used > width:
            return max(1, i)
    return len(text)

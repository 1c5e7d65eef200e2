"""Wrapping a growing reply: lines join back into the text, and appending changes only the last line on."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from app.ui.display.text_wrap import wrap_keeping_text

SAMPLES = [
    "",
    "one",
    "The context window is the working memory of the model.",
    "  leading and   inner   spaces  ",
    "averyveryverylongwordthatcannotfitononeline and more",
    "日本語のテキストも折り返す 混在 text",
    "tabs\tand trailing spaces   ",
]


@pytest.mark.parametrize("text", SAMPLES)
@pytest.mark.parametrize("width", [1, 3, 7, 20, 80])
def test_lines_join_back_and_fit(text, width):
    lines = wrap_keeping_text(text, width)
    assert "".join(lines) == text
    assert lines, "there is always a line, even for no text"
    for line in lines:
        assert cell_len(line.rstrip()) <= max(width, 2)  # a wide character may not fit a 1-cell line


@pytest.mark.parametrize("width", [5, 12, 30])
def test_appending_token_by_token_matches_wrapping_at_once(width):
    text = "Steam engines turn heat into motion: water boils, steam pushes a piston, a crank turns a wheel."
    settled: list[str] = []
    last = ""
    for i in range(0, len(text), 3):
        lines = wrap_keeping_text(last + text[i : i + 3], width)
        settled += lines[:-1]
        last = lines[-1]
    assert settled + [last] == wrap_keeping_text(text, width)


def test_words_move_whole_to_the_next_line():
    assert wrap_keeping_text("hello world foo bar", 11) == ["hello world ", "foo bar"]
    assert wrap_keeping_text("abcdefghij klm", 4) == ["abcd", "efgh", "ij ", "klm"]

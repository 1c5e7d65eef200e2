"""Chart axes carry plain numbers (1,100, 0.25), never plotext's 1.1e3."""

from __future__ import annotations

import re

import pytest

from app.ui.display.plotting import bar_chart, line_chart, nice_ticks, tick_labels

SCIENTIFIC = re.compile(r"\d\.?\d*e[+-]?\d")


def test_ticks_are_round_values_inside_the_range():
    assert nice_ticks(0, 131_072, 6) == [0, 25_000, 50_000, 75_000, 100_000, 125_000]
    assert nice_ticks(11.0, 13.2, 3) == [11, 12, 13]
    assert nice_ticks(1, 3, 8, whole=True) == [1, 2, 3]
    assert nice_ticks(5, 5, 4) == [5]


def test_labels_have_thousands_separators_and_only_the_decimals_needed():
    assert tick_labels([0, 1_100, 2_200]) == ["0", "1,100", "2,200"]
    assert tick_labels([0.25, 0.5, 0.75]) == ["0.25", "0.50", "0.75"]
    assert tick_labels([1_000_000.0, 2_000_000.0]) == ["1,000,000", "2,000,000"]


@pytest.mark.parametrize("xs, ys", [
    ([0, 50_000, 100_000, 131_072], [190.27, 190.5, 191.1, 192.3]),  # RSS over many tokens
    ([0, 1, 2], [100_000, 1_100_000, 2_100_000]),
    ([0, 1, 2], [0.001, 0.002, 0.0015]),
])
def test_a_line_chart_writes_no_number_in_scientific_notation(xs, ys):
    chart = line_chart(xs, ys, 60, 12, "title", "x", "y")
    assert not SCIENTIFIC.search(chart), chart
    assert "," in chart or max(ys) < 1000


def test_a_bar_chart_of_context_per_turn_labels_tokens_from_zero():
    chart = bar_chart([1, 2, 3], [512, 1_100, 1_900], 70, 12, "Context used per turn", "turn", "tokens")
    assert not SCIENTIFIC.search(chart)
    axis = [line.split("┤")[0].strip() for line in chart.splitlines() if "┤" in line]
    assert "0" in axis and "1,000" in axis

"""Charts as plain text through plotext; colour comes from the widget's theme, not from plotext.

plotext 6 draws through `plotext.figure`; plotext 5 through module functions. Both work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


class _Plotext:
    """plotext, imported when the first chart is drawn (it is slow to import)."""

    def __getattr__(self, name: str):
        import plotext

        return getattr(plotext, name)


plt = _Plotext()

MIN_WIDTH = 20
MIN_HEIGHT = 6
NICE_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)
X_TICK_CELLS = 10  # about one x tick per this many columns
Y_TICK_ROWS = 3  # about one y tick per this many rows of the plot
FRAME_ROWS = 5  # title, the frame's top and bottom, the x tick labels and the axis labels


def nice_ticks(low: float, high: float, count: int, whole: bool = False) -> list[float]:
    """About `count` round values (multiples of 1, 2, 2.5 or 5 times a power of ten) from `low` to `high`.

    `whole`: the data are whole numbers (turns, tokens), so no tick falls between two of them.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high < low:
        low, high = high, low
    if high == low:
        return [low]
    raw = (high - low) / max(1, count - 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((n * power for n in NICE_STEPS), key=lambda candidate: abs(candidate - raw))
    if whole:
        step = max(1.0, float(round(step)))
    first = math.ceil(low / step - 1e-9)
    ticks = []
    n = first
    while n * step <= high + step * 1e-9:
        ticks.append(n * step)
        n += 1
    return ticks


def tick_labels(ticks: Sequence[float]) -> list[str]:
    """Plain numbers with thousands separators ('1,100', '0.25'), with as few decimals as tell them apart."""
    for decimals in range(5):
        if all(abs(round(t, decimals) - t) < 1e-9 * max(1.0, abs(t)) for t in ticks):
            break
    return [f"{t:,.{decimals}f}" for t in ticks]


def _axis_ticks(values: Sequence[float], count: int, from_zero: bool = False) -> tuple[list[float], list[str]]:
    low, high = min(values), max(values)
    if from_zero:
        low, high = min(0.0, low), max(0.0, high)
    ticks = nice_ticks(low, high, count, whole=all(float(v).is_integer() for v in values))
    return ticks, tick_labels(ticks)


def _strip(text: str) -> str:
    return plt.uncolorize(text) if hasattr(plt, "uncolorize") else text


def line_chart(
    xs: Sequence[float], ys: Sequence[float], width: int, height: int, title: str, xlabel: str, ylabel: str
) -> str:
    return _chart("line", xs, ys, width, height, title, xlabel, ylabel)


def bar_chart(
    xs: Sequence[float], ys: Sequence[float], width: int, height: int, title: str, xlabel: str, ylabel: str
) -> str:
    return _chart("bar", xs, ys, width, height, title, xlabel, ylabel)


def _chart(kind: str, xs, ys, width: int, height: int, title: str, xlabel: str, ylabel: str) -> str:
    width, height = max(width, MIN_WIDTH), max(height, MIN_HEIGHT)
    if hasattr(plt, "figure") and hasattr(plt.figure, "signal"):
        return _strip(_figure_chart(kind, list(xs), list(ys), width, height, title, xlabel, ylabel))
    return _strip(_module_chart(kind, list(xs), list(ys), width, height, title, xlabel, ylabel))


def _ticks(kind: str, xs, ys, width: int, height: int):
    """Our own ticks and labels: plotext writes large or fine-grained values as 1.1e3."""
    count = max(2, width // X_TICK_CELLS)
    x_ticks = _axis_ticks(xs, count)
    while count > 2 and len(x_ticks[0]) * (max(map(len, x_ticks[1]), default=0) + 3) > width:
        count -= 1  # labels that would touch: fewer ticks
        x_ticks = _axis_ticks(xs, count)
    y_ticks = _axis_ticks(ys, max(2, (height - FRAME_ROWS) // Y_TICK_ROWS + 1), from_zero=kind == "bar")
    return x_ticks, y_ticks


def _figure_chart(kind, xs, ys, width, height, title, xlabel, ylabel) -> str:
    plt.terminal.limit(False, False)  # the widget, not the terminal, sets the size
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("colorless")
    fig.title(title)
    fig.label(xlabel, axis="x")
    fig.label(ylabel, axis="y")
    (x_at, x_labels), (y_at, y_labels) = _ticks(kind, xs, ys, width, height)
    fig.ruler("x").ticks(x_at, x_labels)
    fig.ruler("y").ticks(y_at, y_labels)
    if kind == "bar":
        fig.draw(fig.bar(xs, ys))
    else:
        signal = fig.signal(xs, ys, marker="braille")
        signal.lines(True)
        fig.draw(signal)
    return str(fig.build())


def _module_chart(kind, xs, ys, width, height, title, xlabel, ylabel) -> str:  # plotext 5
    plt.clf()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.title(title)
    plt.xlabel(xlabel)
    plt.ylabel(ylabel)
    (x_at, x_labels), (y_at, y_labels) = _ticks(kind, xs, ys, width, height)
    plt.xticks(x_at, x_labels)
    plt.yticks(y_at, y_labels)
    if kind == "bar":
        plt.bar(xs, ys)
    else:
        plt.plot(xs, ys, marker="braille")
    return plt.build()

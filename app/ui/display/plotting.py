"""Charts as plain text through plotext; colour comes from the widget's theme, not from plotext.

plotext 6 draws through `plotext.figure`; plotext 5 through module functions. Both work.
"""

from __future__ import annotations

from collections.abc import Sequence


class _Plotext:
    """plotext, imported when the first chart is drawn (it is slow to import)."""

    def __getattr__(self, name: str):
        import plotext

        return getattr(plotext, name)


plt = _Plotext()

MIN_WIDTH = 20
MIN_HEIGHT = 6


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


def _figure_chart(kind, xs, ys, width, height, title, xlabel, ylabel) -> str:
    plt.terminal.limit(False, False)  # the widget, not the terminal, sets the size
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("colorless")
    fig.title(title)
    fig.label(xlabel, axis="x")
    fig.label(ylabel, axis="y")
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
    if kind == "bar":
        plt.bar(xs, ys)
    else:
        plt.plot(xs, ys, marker="braille")
    return plt.build()

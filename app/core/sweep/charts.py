"""Sweep charts as plain text through plotext: memory against n_ctx, speed against n_ctx.

The x axis is log2(n_ctx), labelled with the sizes, so doubling sizes sit evenly apart.
No colour codes in the output: the CLI prints it and the screen shows it in its theme.
plotext 6 draws through `plotext.figure`; plotext 5 through module functions. Both work.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.formatting import fmt_tokens_label
from app.core.sweep.run import SweepResult

WIDTH = 70
HEIGHT = 15
MARKERS = ("•", "+", "x", "*", "o", "#", "%", "@")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Series:
    label: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]


@dataclass(frozen=True)
class ChartSpec:
    title: str
    ylabel: str
    series: tuple[Series, ...]
    ticks: tuple[float, ...]
    tick_labels: tuple[str, ...]
    xlabel: str = "n_ctx (log scale)"


def _pairs(results: Sequence[SweepResult]) -> list[str]:
    seen: list[str] = []
    for r in results:
        if (key := f"{r.type_k}/{r.type_v}") not in seen:
            seen.append(key)
    return seen


def _series(results, label: str, key: str, value) -> Series | None:
    points = [
        (math.log2(r.n_ctx), value(r)) for r in results
        if f"{r.type_k}/{r.type_v}" == key and value(r) is not None
    ]
    if not points:
        return None
    points.sort()
    return Series(label, tuple(p[0] for p in points), tuple(float(p[1]) for p in points))


def _spec(results, title, ylabel, metrics) -> ChartSpec:
    sizes = sorted({r.n_ctx for r in results})
    series = []
    for key in _pairs(results):
        for name, value in metrics:
            if (s := _series(results, f"{name} {key}", key, value)) is not None:
                series.append(s)
    return ChartSpec(title, ylabel, tuple(series), tuple(math.log2(n) for n in sizes),
                     tuple(fmt_tokens_label(n) for n in sizes))


def memory_spec(results: Sequence[SweepResult]) -> ChartSpec:
    return _spec(results, "Memory against n_ctx", "MiB", (
        ("KV", lambda r: r.kv_bytes_computed / MIB),
        ("RSS filled", lambda r: r.rss_after_fill_bytes / MIB),
    ))


def speed_spec(results: Sequence[SweepResult]) -> ChartSpec:
    return _spec(results, "Speed against n_ctx", "tokens/s", (
        ("prefill", lambda r: r.prefill_tps),
        ("decode", lambda r: r.decode_tps),
    ))


def render(spec: ChartSpec, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The chart as text of `width` x `height` cells, without colour codes."""
    width, height = max(width, 30), max(height, 8)
    if not spec.series:
        return f"{spec.title}: no data"
    import plotext as plt  # on first use: importing it takes longer than drawing the first frame

    if hasattr(plt, "figure") and hasattr(plt.figure, "signal"):
        text = _render_figure(spec, width, height)
    else:
        text = _render_module(spec, width, height)
    text = (plt.uncolorize(text) if hasattr(plt, "uncolorize") else text).rstrip("\n")
    return text + "\n" + legend(spec, width)


def legend(spec: ChartSpec, width: int = WIDTH) -> str:
    """One marker and label per series, wrapped to `width`; below the chart, never over the data."""
    lines, line = [], ""
    for i, s in enumerate(spec.series):
        item = f"{MARKERS[i % len(MARKERS)]} {s.label}"
        if line and len(line) + 3 + len(item) > width:
            lines.append(line)
            line = ""
        line = f"{line}   {item}" if line else item
    lines.append(line)
    return "\n".join(lines)


def sweep_charts(results: Sequence[SweepResult], width: int = WIDTH, height: int = HEIGHT) -> tuple[str, str]:
    """(memory chart, speed chart) as text."""
    return render(memory_spec(results), width, height), render(speed_spec(results), width, height)


def _render_figure(spec: ChartSpec, width: int, height: int) -> str:  # plotext 6
    import plotext as plt

    plt.terminal.limit(False, False)
    fig = plt.figure
    fig.clear()
    fig.plot_size(width, height)
    fig.theme("colorless")
    fig.title(spec.title)
    fig.label(spec.xlabel, axis="x")
    fig.label(spec.ylabel, axis="y")
    for i, s in enumerate(spec.series):
        signal = fig.signal(list(s.xs), list(s.ys), marker=MARKERS[i % len(MARKERS)])
        signal.lines(True)
        fig.draw(signal)
    fig.ruler("x").ticks(list(spec.ticks), list(spec.tick_labels))
    return str(fig.build())


def _render_module(spec: ChartSpec, width: int, height: int) -> str:  # plotext 5
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.title(spec.title)
    plt.xlabel(spec.xlabel)
    plt.ylabel(spec.ylabel)
    for i, s in enumerate(spec.series):
        plt.plot(list(s.xs), list(s.ys), marker=MARKERS[i % len(MARKERS)])
    plt.xticks(list(spec.ticks), list(spec.tick_labels))
    return plt.build()

"""The charts screen's points, read from the chart series the newest dashboard carried."""

from __future__ import annotations

from app.core.telemetry.chart_series import ChartSeries

MIB = 1024 * 1024
Points = tuple[tuple[float, ...], tuple[float, ...]]


def latency_points(series: ChartSeries) -> Points:
    ys = series.token_latency_ms
    return tuple(float(i) for i in range(1, len(ys) + 1)), tuple(ys)


def rss_points(series: ChartSeries) -> Points:
    rows = series.rss_by_tokens
    return tuple(float(t) for t, _ in rows), tuple(rss / MIB for _, rss in rows)


def context_points(series: ChartSeries) -> Points:
    rows = series.context_by_turn
    return tuple(float(turn) for turn, _ in rows), tuple(float(used) for _, used in rows)


def cache_hit_points(series: ChartSeries) -> Points:
    rows = series.cache_hit_by_turn
    return tuple(float(turn) for turn, _ in rows), tuple(percent for _, percent in rows)

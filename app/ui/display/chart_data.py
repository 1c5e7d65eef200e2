"""What the charts screen draws, gathered on the UI thread from snapshots the core keeps."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class ChartData:
    token_latency_ms: tuple[float, ...] = ()
    rss_by_tokens: tuple[tuple[int, int], ...] = ()
    context_by_turn: tuple[tuple[int, int], ...] = ()

    def latency_points(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        ys = self.token_latency_ms
        return tuple(float(i) for i in range(1, len(ys) + 1)), tuple(ys)

    def rss_points(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        rows = self.rss_by_tokens
        return tuple(float(t) for t, _ in rows), tuple(rss / MIB for _, rss in rows)

    def context_points(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        rows = self.context_by_turn
        return tuple(float(turn) for turn, _ in rows), tuple(float(used) for _, used in rows)

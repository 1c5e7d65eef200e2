"""The series the charts draw, copied out of the trackers for the front end."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartSeries:
    token_latency_ms: tuple[float, ...] = ()  # each token of the current (or last) reply
    rss_by_tokens: tuple[tuple[int, int], ...] = ()  # (tokens in the context, process RSS bytes) samples
    context_by_turn: tuple[tuple[int, int], ...] = ()  # (turn number, tokens in the context once it finished)
    cache_hit_by_turn: tuple[tuple[int, float], ...] = ()  # (turn number, percent of its prompt the cache held)

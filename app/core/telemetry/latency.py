"""Per-token latency, time to first token and throughput, updated in O(1) per token.

All times are `time.perf_counter()` seconds; every reported latency is in milliseconds.
Per-turn numbers describe the current turn, or the last one once it has ended.
"""

from __future__ import annotations

import enum
import math
from collections import deque
from dataclasses import dataclass

from app.core.errors import UsageError

RECENT_LIMIT = 120
STEADY_BAND_MS = 0.5  # a trend smaller than this per 100 tokens is steady


class Trend(str, enum.Enum):
    UP = "up"
    DOWN = "down"
    STEADY = "steady"


@dataclass(frozen=True)
class LatencyStats:
    ttft_ms: float | None
    prefill_tps: float | None
    last_ms: float | None
    rolling_avg_ms: float | None
    window: int
    trend_ms_per_100: float | None
    decode_tps: float | None
    n_tokens: int
    recent_ms: tuple[float, ...]
    session_turns: int
    session_avg_ttft_ms: float | None
    session_decode_tps: float | None

    @property
    def trend(self) -> Trend | None:
        """Whether per-token latency is rising, falling or steady; None before there is a slope."""
        slope = self.trend_ms_per_100
        if slope is None:
            return None
        if slope > STEADY_BAND_MS:
            return Trend.UP
        if slope < -STEADY_BAND_MS:
            return Trend.DOWN
        return Trend.STEADY


class _Slope:
    """Least-squares slope of y against x = 0, 1, 2, ... from running sums."""

    __slots__ = ("n", "sx", "sy", "sxx", "sxy")

    def __init__(self) -> None:
        self.n = 0
        self.sx = 0
        self.sxx = 0
        self.sy = 0.0
        self.sxy = 0.0

    def add(self, y: float) -> None:
        x = self.n
        self.n += 1
        self.sx += x
        self.sxx += x * x
        self.sy += y
        self.sxy += x * y

    def slope(self) -> float | None:
        denominator = self.n * self.sxx - self.sx * self.sx
        if self.n < 2 or denominator == 0:
            return None
        return (self.n * self.sxy - self.sx * self.sy) / denominator


class LatencyTracker:
    def __init__(self, window: int = 20) -> None:
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise UsageError(f"latency window must be a whole number >= 1, got {window!r}")
        self._window_size = window
        self._window: deque[float] = deque(maxlen=window)
        self._recent: deque[float] = deque(maxlen=RECENT_LIMIT)
        self._turn_ms: list[float] = []
        self._slope = _Slope()
        self._in_turn = False
        self._t_submit = 0.0
        self._t_prefill_end: float | None = None
        self._t_first: float | None = None
        self._t_prev: float | None = None
        self._prefill_tps: float | None = None
        self._turns = 0
        self._ttft_sum_s = 0.0
        self._ttft_count = 0
        self._decode_tokens = 0
        self._decode_seconds = 0.0

    @property
    def window(self) -> int:
        return self._window_size

    def start_turn(self, t_submit: float) -> None:
        if self._in_turn:
            self.end_turn(t_submit)
        self._in_turn = True
        self._t_submit = t_submit
        self._t_prefill_end = None
        self._t_first = None
        self._t_prev = None
        self._prefill_tps = None
        self._window.clear()
        self._recent.clear()
        self._turn_ms = []
        self._slope = _Slope()

    def prefill_done(self, n_evaluated: int, t: float) -> None:
        if not self._in_turn:
            self.start_turn(t)
        self._t_prefill_end = t
        elapsed = t - self._t_submit
        self._prefill_tps = n_evaluated / elapsed if n_evaluated > 0 and elapsed > 0 else None

    def on_token(self, t: float) -> None:
        if not self._in_turn:
            self.start_turn(t)
        if self._t_prev is None:
            self._t_first = t
            start = self._t_prefill_end if self._t_prefill_end is not None else self._t_submit
            latency_ms = (t - start) * 1000.0
        else:
            latency_ms = (t - self._t_prev) * 1000.0
        self._t_prev = t
        self._window.append(latency_ms)
        self._recent.append(latency_ms)
        self._turn_ms.append(latency_ms)
        self._slope.add(latency_ms)

    def end_turn(self, t: float) -> None:
        """Fold the turn into the session totals; its numbers stay visible until the next turn."""
        if not self._in_turn:
            return
        self._in_turn = False
        self._turns += 1
        ttft = self._ttft_s()
        if ttft is not None:
            self._ttft_sum_s += ttft
            self._ttft_count += 1
        span = self._decode_span_s()
        if span is not None:
            self._decode_tokens += len(self._turn_ms) - 1
            self._decode_seconds += span

    def _ttft_s(self) -> float | None:
        if self._t_first is None:
            return None
        return self._t_first - self._t_submit

    def _decode_span_s(self) -> float | None:
        """Seconds from the turn's first token to its last, once it has two."""
        if len(self._turn_ms) < 2 or self._t_first is None or self._t_prev is None:
            return None
        return self._t_prev - self._t_first

    def _decode_tps(self) -> float | None:
        elapsed = self._decode_span_s()
        if elapsed is None:
            return None
        return (len(self._turn_ms) - 1) / elapsed if elapsed > 0 else None

    def snapshot(self) -> LatencyStats:
        ttft = self._ttft_s()
        slope = self._slope.slope()
        return LatencyStats(
            ttft_ms=ttft * 1000.0 if ttft is not None else None,
            prefill_tps=self._prefill_tps,
            last_ms=self._window[-1] if self._window else None,
            rolling_avg_ms=math.fsum(self._window) / len(self._window) if self._window else None,
            window=self._window_size,
            trend_ms_per_100=slope * 100.0 if slope is not None else None,
            decode_tps=self._decode_tps(),
            n_tokens=len(self._turn_ms),
            recent_ms=tuple(self._recent),
            session_turns=self._turns,
            session_avg_ttft_ms=(
                self._ttft_sum_s / self._ttft_count * 1000.0 if self._ttft_count else None
            ),
            session_decode_tps=(
                self._decode_tokens / self._decode_seconds if self._decode_seconds > 0 else None
            ),
        )

    def turn_latencies_ms(self) -> list[float]:
        return list(self._turn_ms)

"""What bringing the KV cache in line with a changed history would cost, each way, before the change is made.

"shift" moves the cached tokens after a dropped range down; "exact" keeps only the common prefix
and evaluates the rest. Seconds are the tokens at the prefill rate this session measured
(its syncs of 16 tokens or more, pooled); before one was measured there are tokens only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.engine.cache_reuse import MIN_SHIFTED, exact_plan, shift_plan
from app.core.engine.protocol import Engine

MIN_RATE_TOKENS = 16  # a sync that evaluated fewer tokens is mostly its fixed cost: it says little about the rate


@dataclass(frozen=True)
class WayCost:
    way: str  # shift | exact
    tokens: int  # evaluated
    seconds: float | None  # at the measured prefill rate; None before one was measured
    kept: int  # cached tokens kept (the prefix, plus the shifted ones)
    chosen: bool  # the way the sync would take: shift when kv_shift allows it and it keeps more
    note: str | None = None  # why this way is not available, or keeps no more than the other


@dataclass(frozen=True)
class SyncCosts:
    ways: tuple[WayCost, ...]
    rate: float | None  # prefill tokens/s the seconds use
    estimate: bool = False  # the backend's token counts are estimates

    def way(self, name: str) -> WayCost:
        return next(w for w in self.ways if w.way == name)


def sync_costs(engine: Engine, ids: Sequence[int], rate: float | None, shifting: bool) -> SyncCosts:
    """The cost of syncing the cache to `ids` each way; `shifting` is the setting, `rate` the measured prefill rate."""
    cached = engine.cached_ids()
    exact = exact_plan(cached, ids)
    seconds = (lambda tokens: tokens / rate) if rate else (lambda tokens: None)
    blocker = engine.shift_blocker() if engine.capabilities.can_shift_cache else "this backend cannot shift its cache"
    shifted = shift_plan(cached, ids, exact) if blocker is None else exact
    note = blocker
    if note is None and not shifted.shifted and exact.evaluated > 1:
        note = (f"fewer than {MIN_SHIFTED} tokens follow the change: reading them costs no more than moving them"
                if exact.evaluated < MIN_SHIFTED else
                "the change adds tokens before the rest of the cache, which must be read in order")
    takes_shift = shifting and blocker is None and shifted.shifted > 0
    ways = (
        WayCost("shift", shifted.evaluated, seconds(shifted.evaluated), shifted.kept if blocker is None else 0,
                takes_shift, note),
        WayCost("exact", exact.evaluated, seconds(exact.evaluated), exact.prefix, not takes_shift),
    )
    return SyncCosts(ways, rate, not engine.backend.exact_counts)

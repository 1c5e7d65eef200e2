"""What a new prompt can keep of the KV cache: the common prefix, and with shifting a run of cached tokens after it.

A change that only removes tokens (a sliding window, a deleted message or turn) leaves the new
prompt as the cached prefix, then a run of tokens the cache holds further on, then new tokens.
Shifting removes the cells between the prefix and the run, moves the run down to follow the
prefix, and evaluates only what comes after it. A change that adds tokens before the run (an
edited message, a cut marked `[...]`) cannot keep it: llama.cpp needs a sequence's positions to
continue from the last one it holds, so the added tokens cannot be evaluated in front of cached ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core.engine.results import common_prefix

MIN_SHIFTED = 16  # tokens: a shorter run costs less to evaluate again than to move
_PROBE = 16  # tokens compared first at each place a run could start


@dataclass(frozen=True)
class ReusePlan:
    """How `total` prompt tokens would come to be in the cache."""

    total: int
    prefix: int  # cached tokens kept where they are
    tail_from: int = 0  # where the kept run starts in the cache
    shifted: int = 0  # tokens of the run, moved down by `dropped` positions

    @property
    def dropped(self) -> int:
        return self.tail_from - self.prefix if self.shifted else 0

    @property
    def evaluated(self) -> int:
        return self.total - self.prefix - self.shifted

    @property
    def kept(self) -> int:
        return self.prefix + self.shifted


def matching_run(cached: Sequence[int], at: int, ids: Sequence[int], start: int) -> int:
    """How many tokens of `ids` from `start` on equal the cached ones from `at` on (slices compare in C)."""
    limit = min(len(cached) - at, len(ids) - start)
    low, high = 0, limit
    while low < high:  # the longest n with equal slices of length n
        mid = (low + high + 1) // 2
        if cached[at : at + mid] == ids[start : start + mid]:
            low = mid
        else:
            high = mid - 1
    return low


def exact_plan(cached: Sequence[int], ids: Sequence[int]) -> ReusePlan:
    """Keep the common prefix, evaluate the rest; at least one token is evaluated so the logits are fresh."""
    keep = common_prefix(cached, ids)
    if keep == len(ids):
        keep -= 1
    return ReusePlan(len(ids), keep)


def shift_plan(cached: Sequence[int], ids: Sequence[int], exact: ReusePlan) -> ReusePlan:
    """`exact` (`exact_plan` of the same ids), or its prefix plus the longest cached run after it in `ids`, moved down."""
    prefix = exact.prefix
    if prefix >= len(ids) - 1 or prefix >= len(cached) - 1:
        return exact
    cached, ids = list(cached), list(ids)
    first, probe = ids[prefix], ids[prefix : prefix + _PROBE]
    best_at, best = 0, 0
    at = prefix + 1
    while True:
        try:
            at = cached.index(first, at)
        except ValueError:
            break
        if cached[at : at + len(probe)] == probe:
            run = matching_run(cached, at, ids, prefix)
            if run > best:
                best_at, best = at, run
        at += 1
    if prefix + best == len(ids):
        best -= 1  # the prompt's last token is evaluated again so the logits belong to it
    if best < MIN_SHIFTED:
        return exact
    return ReusePlan(len(ids), prefix, best_at, best)

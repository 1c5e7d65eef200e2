"""Context accounting: how much of the effective window is used, updated on every token."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.core.config.profiles import ContextProfile
from app.core.errors import UsageError
from app.core.events import ThresholdCrossed


@dataclass(frozen=True)
class BudgetBreakdown:
    system: int
    summaries: int
    user: int
    assistant: int
    in_flight: int = 0

    @property
    def total(self) -> int:
        return self.system + self.summaries + self.user + self.assistant + self.in_flight


class FillState(str, enum.Enum):
    """What the fill means: under the threshold, past it, into the reply's reserve, full, or beyond n_ctx."""

    OK = "ok"
    OVER_THRESHOLD = "over_threshold"
    RESERVE = "reserve"
    FULL = "full"
    OVERFLOW = "overflow"


@dataclass(frozen=True)
class ContextUsage:
    """`used` is what the KV cache holds, never more than `n_ctx`; `overflow` is what did not fit.

    `percent` is `used` against `effective` and may pass 100: the reply may use the reserve.
    A conversation that needs more than `n_ctx` (after a reload to a smaller size, or a reply
    that stopped at the edge and was then counted into the history) has `overflow` tokens
    beyond `n_ctx`; `needed` is the whole.
    """

    used: int
    n_ctx: int
    effective: int
    percent: float
    available: int
    reserve: int
    tier: int
    tier_name: str
    size_label: str
    profile_id: str
    profile_matched: bool
    threshold: float
    over_threshold: bool
    breakdown: BudgetBreakdown
    overflow: int = 0

    @property
    def needed(self) -> int:
        return self.used + self.overflow

    @property
    def fill_state(self) -> FillState:
        if self.overflow:
            return FillState.OVERFLOW
        if self.used >= self.n_ctx:
            return FillState.FULL
        if self.available == 0:
            return FillState.RESERVE
        if self.over_threshold:
            return FillState.OVER_THRESHOLD
        return FillState.OK


def validate_threshold(threshold: float, name: str = "threshold") -> float:
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        raise UsageError(f"{name} must be a number in (0, 100], got {threshold!r}")
    if not 0 < threshold <= 100:
        raise UsageError(f"{name} must be in (0, 100], got {threshold}")
    return float(threshold)


class UsageTracker:
    """Tracks tokens in the context; every update is O(1) and allocates only on a crossing.

    Updates give the tokens the conversation needs; `used` is that count capped at `n_ctx`
    (what the KV cache can hold) and the rest is the overflow. `in_flight` is the part of
    `used` generated in the current reply: tokens above the count set by the last
    `set_prompt`/`set_used`/`reset_in_flight`. Each update returns a `ThresholdCrossed`
    exactly when `percent` moves from below the threshold to at-or-above it (rising) or
    back (falling).
    """

    def __init__(
        self,
        context: ContextProfile,
        profile_id: str,
        profile_matched: bool,
        n_ctx: int,
        threshold: float = 80.0,
    ) -> None:
        if n_ctx < context.effective_context_size:
            raise UsageError(
                f"n_ctx {n_ctx} is below the effective context size "
                f"{context.effective_context_size}"
            )
        self._context = context
        self._profile_id = profile_id
        self._profile_matched = profile_matched
        self._n_ctx = n_ctx
        self._effective = context.effective_context_size
        self._threshold = validate_threshold(threshold)
        self._prompt = BudgetBreakdown(0, 0, 0, 0, 0)
        self._used = 0
        self._overflow = 0
        self._base = 0
        self._over = False

    @property
    def used(self) -> int:
        return self._used

    @property
    def overflow(self) -> int:
        return self._overflow

    @property
    def percent(self) -> float:
        return 100.0 * self._used / self._effective

    def set_prompt(self, breakdown: BudgetBreakdown) -> ThresholdCrossed | None:
        """The prompt after a history change; its `in_flight` is ignored (no reply yet)."""
        if breakdown.in_flight:
            breakdown = BudgetBreakdown(
                breakdown.system, breakdown.summaries, breakdown.user, breakdown.assistant, 0
            )
        self._prompt = breakdown
        return self._set(breakdown.total, breakdown.total)

    def set_used(self, n_used: int) -> ThresholdCrossed | None:
        """The prompt needs `n_used` tokens after a sync or a history change, before any reply token."""
        return self._set(n_used, n_used)

    def on_token(self, n_used: int) -> ThresholdCrossed | None:
        return self._set(n_used, self._base)

    def reset_in_flight(self) -> None:
        self._base = self._used

    def set_threshold(self, threshold: float) -> ThresholdCrossed | None:
        self._threshold = validate_threshold(threshold)
        return self._set(self._used + self._overflow, self._base)

    def _set(self, needed: int, base: int) -> ThresholdCrossed | None:
        used = min(needed, self._n_ctx)
        self._used = used
        self._overflow = needed - used
        self._base = min(base, used)
        over = used * 100.0 >= self._threshold * self._effective
        if over is self._over:
            return None
        self._over = over
        return ThresholdCrossed(percent=self.percent, threshold=self._threshold, rising=over)

    def snapshot(self) -> ContextUsage:
        p = self._prompt
        in_flight = max(0, self._used - self._base)
        return ContextUsage(
            used=self._used,
            n_ctx=self._n_ctx,
            effective=self._effective,
            percent=self.percent,
            available=max(0, self._effective - self._used),
            reserve=self._n_ctx - self._effective,
            tier=self._context.tier,
            tier_name=self._context.tier_name,
            size_label=self._context.size_label,
            profile_id=self._profile_id,
            profile_matched=self._profile_matched,
            threshold=self._threshold,
            over_threshold=self._over,
            breakdown=BudgetBreakdown(p.system, p.summaries, p.user, p.assistant, in_flight),
            overflow=self._overflow,
        )

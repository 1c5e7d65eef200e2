from __future__ import annotations

import pytest

from app.core.config.profiles import ContextProfile
from app.core.errors import UsageError
from app.core.events import ThresholdCrossed
from app.core.telemetry.usage import BudgetBreakdown, ContextUsage, UsageTracker

FOUR_K = ContextProfile(4096, 3481, "4K", 1, "Minimal")
SMALL = ContextProfile(1000, 800, "1000", 1, "Minimal", custom=True)


def tracker(context: ContextProfile = FOUR_K, threshold: float = 80.0) -> UsageTracker:
    return UsageTracker(context, "smollm2", True, context.size, threshold)


def test_breakdown_total() -> None:
    assert BudgetBreakdown(10, 20, 30, 40, 5).total == 105
    assert BudgetBreakdown(1, 2, 3, 4).total == 10


def test_empty_snapshot() -> None:
    assert tracker().snapshot() == ContextUsage(
        used=0,
        n_ctx=4096,
        effective=3481,
        percent=0.0,
        available=3481,
        reserve=615,
        tier=1,
        tier_name="Minimal",
        size_label="4K",
        profile_id="smollm2",
        profile_matched=True,
        threshold=80.0,
        over_threshold=False,
        breakdown=BudgetBreakdown(0, 0, 0, 0, 0),
    )


def test_prompt_and_tokens_update_percent_available_and_breakdown() -> None:
    t = tracker()
    assert t.set_prompt(BudgetBreakdown(100, 50, 200, 300, 0)) is None
    s = t.snapshot()
    assert (s.used, s.available, s.reserve) == (650, 2831, 615)
    assert s.percent == pytest.approx(18.672795174949727)
    for n in range(651, 661):
        assert t.on_token(n) is None
    s = t.snapshot()
    assert (s.used, s.available) == (660, 2821)
    assert s.breakdown == BudgetBreakdown(100, 50, 200, 300, 10)
    assert s.breakdown.total == s.used


def test_set_prompt_ignores_in_flight() -> None:
    t = tracker()
    t.set_prompt(BudgetBreakdown(1, 2, 3, 4, 99))
    assert t.snapshot().breakdown == BudgetBreakdown(1, 2, 3, 4, 0)
    assert t.used == 10


def test_use_beyond_effective_keeps_true_percent_and_clamps_available() -> None:
    t = tracker()
    t.set_used(3600)
    s = t.snapshot()
    assert s.available == 0
    assert s.percent == pytest.approx(103.41855788566504)
    assert s.over_threshold is True


def test_reset_in_flight_keeps_used() -> None:
    t = tracker()
    t.set_prompt(BudgetBreakdown(10, 0, 20, 0))
    t.on_token(40)
    assert t.snapshot().breakdown.in_flight == 10
    t.reset_in_flight()
    s = t.snapshot()
    assert (s.used, s.breakdown.in_flight) == (40, 0)
    t.on_token(41)
    assert t.snapshot().breakdown.in_flight == 1


def test_set_used_after_sync_clears_in_flight() -> None:
    t = tracker()
    t.set_prompt(BudgetBreakdown(10, 0, 20, 0))
    t.on_token(35)
    t.set_used(37)
    s = t.snapshot()
    assert (s.used, s.breakdown.in_flight) == (37, 0)


def test_one_rising_event_per_crossing() -> None:
    t = tracker()
    events = [e for n in range(1, 3600) if (e := t.on_token(n)) is not None]
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, ThresholdCrossed)
    assert (event.rising, event.threshold) == (True, 80.0)
    # 80% of 3481 is 2784.8, so token 2785 is the first at or above it
    assert event.percent == pytest.approx(100 * 2785 / 3481)


def test_rising_exactly_at_threshold_and_falling_after_history_change() -> None:
    t = tracker(SMALL, threshold=50.0)
    assert t.on_token(399) is None
    rising = t.on_token(400)
    assert rising is not None and rising.rising and rising.percent == 50.0
    assert t.on_token(401) is None
    falling = t.set_prompt(BudgetBreakdown(100, 0, 200, 0))
    assert falling is not None and not falling.rising and falling.percent == 37.5
    assert t.set_prompt(BudgetBreakdown(100, 0, 150, 0)) is None
    assert t.snapshot().over_threshold is False
    again = t.set_used(500)
    assert again is not None and again.rising


def test_set_threshold_reports_crossing() -> None:
    t = tracker(SMALL)
    t.set_used(500)
    event = t.set_threshold(60)
    assert event is not None and event.rising and event.threshold == 60.0
    assert t.set_threshold(61) is None
    assert t.snapshot().threshold == 61.0


@pytest.mark.parametrize("bad", [0, -5, 100.5, True, "80", None])
def test_threshold_validation(bad) -> None:
    with pytest.raises(UsageError):
        tracker(threshold=bad)


def test_threshold_of_100_is_allowed() -> None:
    t = tracker(SMALL, threshold=100)
    assert t.on_token(799) is None
    assert t.on_token(800) is not None


def test_n_ctx_below_effective_is_rejected() -> None:
    with pytest.raises(UsageError, match="n_ctx 3000 is below the effective context size 3481"):
        UsageTracker(FOUR_K, "smollm2", True, 3000)


def test_a_prompt_larger_than_n_ctx_is_an_overflow_not_use_beyond_allocated() -> None:
    small = ContextProfile(512, 435, "512", 1, "Minimal", custom=True)
    t = tracker(small)
    t.set_prompt(BudgetBreakdown(20, 0, 300, 194))
    s = t.snapshot()
    assert (s.used, s.overflow, s.needed, s.n_ctx) == (512, 2, 514, 512)
    assert s.used <= s.n_ctx
    assert s.percent == pytest.approx(100 * 512 / 435)
    assert s.available == 0
    assert s.breakdown.total == 514  # what the conversation costs, the overflow included


def test_overflow_clears_once_the_conversation_fits_again() -> None:
    t = tracker(SMALL)
    t.set_used(1003)
    assert (t.used, t.overflow) == (1000, 3)
    t.set_used(900)
    s = t.snapshot()
    assert (s.used, s.overflow, s.needed) == (900, 0, 900)


def test_a_reply_that_reaches_n_ctx_never_counts_past_it() -> None:
    t = tracker(SMALL)
    t.set_prompt(BudgetBreakdown(10, 0, 980, 0))
    for n in range(991, 1002):
        t.on_token(n)
    s = t.snapshot()
    assert (s.used, s.overflow) == (1000, 1)
    assert s.breakdown.in_flight == 10  # only the tokens the cache holds


def test_threshold_change_keeps_the_overflow() -> None:
    t = tracker(SMALL)
    t.set_used(1010)
    t.set_threshold(90)
    assert (t.snapshot().used, t.snapshot().overflow) == (1000, 10)

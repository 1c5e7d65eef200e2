import pytest

from app.core.telemetry.turn_trends import GROWTH_BASIS, TurnTrends


def test_no_forecast_and_no_cache_figures_before_a_turn():
    trends = TurnTrends()
    assert trends.forecast(used=100, effective=1000, compress_at=750) is None
    assert trends.cache_hits() is None


def test_the_forecast_counts_turns_to_the_budget_and_to_the_trigger_at_the_mean_growth():
    trends = TurnTrends()
    trends.record(before=40, after=140, reused=0, evaluated=60, grew=True)  # +100
    trends.record(before=140, after=340, reused=140, evaluated=30, grew=True)  # +200
    f = trends.forecast(used=340, effective=1000, compress_at=750)
    assert f.growth_per_turn == 150 and f.basis_turns == 2
    assert f.turns_to_full == 5  # 660 / 150 = 4.4, so the fifth turn fills it
    assert f.turns_to_compress == 3  # 410 / 150 = 2.7
    assert f.to_json() == {"growth_per_turn": 150.0, "basis_turns": 2, "turns_to_full": 5,
                           "turns_to_compress": 3, "compress_at_tokens": 750}


def test_turns_that_compressed_or_regenerated_are_left_out_of_the_growth_but_not_out_of_the_cache_figures():
    trends = TurnTrends()
    trends.record(before=0, after=100, reused=0, evaluated=50, grew=True)
    trends.record(before=900, after=400, reused=20, evaluated=380, grew=False)
    f = trends.forecast(used=400, effective=1000, compress_at=None)
    assert f.growth_per_turn == 100 and f.basis_turns == 1
    assert f.turns_to_compress is None and f.compress_at is None
    hits = trends.cache_hits()
    assert (hits.turn_reused, hits.turn_prompt, hits.session_reused, hits.session_prompt) == (20, 400, 20, 450)
    assert hits.turn_percent == pytest.approx(5.0)
    assert hits.session_percent == pytest.approx(100 * 20 / 450)
    assert hits.by_turn == ((1, 0.0), (2, 5.0))


def test_a_context_past_the_mark_is_there_now_and_one_that_does_not_grow_never_gets_there():
    trends = TurnTrends()
    trends.record(before=500, after=500, reused=500, evaluated=0, grew=True)
    f = trends.forecast(used=800, effective=1000, compress_at=750)
    assert f.turns_to_full is None and f.turns_to_compress == 0


def test_the_growth_is_the_mean_of_the_newest_turns_only():
    trends = TurnTrends()
    trends.record(before=0, after=1000, reused=0, evaluated=1000, grew=True)
    for i in range(GROWTH_BASIS):
        trends.record(before=1000 + 10 * i, after=1010 + 10 * i, reused=0, evaluated=10, grew=True)
    assert trends.forecast(used=1050, effective=2000, compress_at=None).growth_per_turn == 10

import pytest

from app.core.errors import UsageError
from app.core.telemetry.latency import LatencyTracker, Trend


def run_turn(tracker: LatencyTracker, t0: float, prefill_s: float, latencies_ms: list[float]) -> float:
    """Submit at t0, finish prefill after prefill_s, then emit tokens with the given gaps."""
    tracker.start_turn(t0)
    t = t0 + prefill_s
    tracker.prefill_done(100, t)
    for ms in latencies_ms:
        t += ms / 1000.0
        tracker.on_token(t)
    return t


def test_linear_series_gives_exact_slope():
    tracker = LatencyTracker()
    run_turn(tracker, 0.0, 0.5, [10.0 + 2.0 * i for i in range(50)])
    stats = tracker.snapshot()
    assert stats.trend_ms_per_100 == pytest.approx(200.0, abs=1e-6)
    assert stats.n_tokens == 50


def test_flat_series_has_zero_trend_and_one_point_has_none():
    tracker = LatencyTracker()
    run_turn(tracker, 0.0, 0.1, [25.0])
    assert tracker.snapshot().trend_ms_per_100 is None
    tracker.on_token(0.1 + 0.025 + 0.025)
    assert tracker.snapshot().trend_ms_per_100 == pytest.approx(0.0, abs=1e-6)


def test_first_token_latency_counts_from_prefill_end():
    tracker = LatencyTracker()
    tracker.start_turn(10.0)
    tracker.prefill_done(200, 10.4)
    tracker.on_token(10.45)
    tracker.on_token(10.47)
    assert tracker.turn_latencies_ms() == pytest.approx([50.0, 20.0])


def test_first_token_without_prefill_counts_from_submit():
    tracker = LatencyTracker()
    tracker.start_turn(1.0)
    tracker.on_token(1.3)
    stats = tracker.snapshot()
    assert stats.last_ms == pytest.approx(300.0)
    assert stats.ttft_ms == pytest.approx(300.0)
    assert stats.prefill_tps is None


def test_ttft_and_prefill_tps():
    tracker = LatencyTracker()
    tracker.start_turn(2.0)
    tracker.prefill_done(400, 2.5)
    tracker.on_token(2.6)
    stats = tracker.snapshot()
    assert stats.ttft_ms == pytest.approx(600.0)
    assert stats.prefill_tps == pytest.approx(800.0)


@pytest.mark.parametrize(
    ("count", "expected_avg"),
    [
        (3, (1 + 2 + 3) / 3),  # fewer than the window
        (4, (1 + 2 + 3 + 4) / 4),  # exactly the window
        (5, (2 + 3 + 4 + 5) / 4),  # window + 1: the oldest drops out
    ],
)
def test_rolling_window_edges(count, expected_avg):
    tracker = LatencyTracker(window=4)
    run_turn(tracker, 0.0, 0.0, [float(i) for i in range(1, count + 1)])
    stats = tracker.snapshot()
    assert stats.window == 4
    assert stats.rolling_avg_ms == pytest.approx(expected_avg)
    assert stats.last_ms == pytest.approx(float(count))


def test_recent_is_capped_at_120():
    tracker = LatencyTracker()
    run_turn(tracker, 0.0, 0.0, [float(i % 7 + 1) for i in range(150)])
    stats = tracker.snapshot()
    assert len(stats.recent_ms) == 120
    assert stats.recent_ms[-1] == pytest.approx(float(149 % 7 + 1))
    assert len(tracker.turn_latencies_ms()) == 150


def test_decode_tps():
    tracker = LatencyTracker()
    tracker.start_turn(0.0)
    tracker.prefill_done(10, 0.1)
    for i in range(11):
        tracker.on_token(1.0 + i * 0.05)
    assert tracker.snapshot().decode_tps == pytest.approx(10 / 0.5)


def test_empty_tracker():
    stats = LatencyTracker(window=5).snapshot()
    assert stats.n_tokens == 0
    assert stats.ttft_ms is None
    assert stats.last_ms is None
    assert stats.rolling_avg_ms is None
    assert stats.decode_tps is None
    assert stats.recent_ms == ()
    assert stats.session_turns == 0
    assert stats.session_avg_ttft_ms is None
    assert stats.session_decode_tps is None


def test_session_aggregates():
    tracker = LatencyTracker()
    # turn 1: TTFT 200 ms, 5 tokens 20 ms apart -> 4 intervals in 0.08 s
    tracker.start_turn(0.0)
    tracker.prefill_done(50, 0.15)
    for i in range(5):
        tracker.on_token(0.2 + i * 0.02)
    tracker.end_turn(0.3)
    # turn 2: TTFT 400 ms, 3 tokens 60 ms apart -> 2 intervals in 0.12 s
    tracker.start_turn(10.0)
    for i in range(3):
        tracker.on_token(10.4 + i * 0.06)
    tracker.end_turn(10.6)
    tracker.end_turn(10.7)  # a second end is ignored

    stats = tracker.snapshot()
    assert stats.session_turns == 2
    assert stats.session_avg_ttft_ms == pytest.approx(300.0)
    assert stats.session_decode_tps == pytest.approx(6 / 0.2)
    # the last turn's own numbers stay visible after it ends
    assert stats.n_tokens == 3
    assert stats.ttft_ms == pytest.approx(400.0)
    assert stats.decode_tps == pytest.approx(2 / 0.12)


def test_new_turn_resets_turn_numbers():
    tracker = LatencyTracker()
    run_turn(tracker, 0.0, 0.1, [10.0, 20.0, 30.0])
    tracker.end_turn(1.0)
    tracker.start_turn(5.0)
    stats = tracker.snapshot()
    assert stats.n_tokens == 0
    assert stats.ttft_ms is None
    assert stats.trend_ms_per_100 is None
    assert tracker.turn_latencies_ms() == []
    assert stats.session_turns == 1


@pytest.mark.parametrize("window", [0, -3, 2.5, True])
def test_window_validation(window):
    with pytest.raises(UsageError):
        LatencyTracker(window=window)


@pytest.mark.parametrize("latencies_ms, trend", [
    ([10.0 + 2.0 * i for i in range(50)], Trend.UP),
    ([110.0 - 2.0 * i for i in range(50)], Trend.DOWN),
    ([25.0 + (0.001 if i % 2 else 0.0) for i in range(50)], Trend.STEADY),
    ([25.0], None),
])
def test_the_trend_says_whether_latency_rises_falls_or_holds(latencies_ms, trend):
    tracker = LatencyTracker()
    run_turn(tracker, 0.0, 0.1, latencies_ms)
    assert tracker.snapshot().trend is trend

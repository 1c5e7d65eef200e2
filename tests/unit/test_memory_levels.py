import pytest

from app.core.errors import UsageError
from app.core.events import MemoryLevelChanged
from app.core.telemetry.memory import LevelThresholds, LevelTracker, MemoryLevel

N, W, C, E = MemoryLevel.NORMAL, MemoryLevel.WARNING, MemoryLevel.CRITICAL, MemoryLevel.EMERGENCY


def levels_for(percents, thresholds=None):
    tracker = LevelTracker(thresholds or LevelThresholds())
    return [tracker.update(p) for p in percents], tracker


def test_ranks_are_ordered():
    assert [level.rank for level in (N, W, C, E)] == [0, 1, 2, 3]


def test_rises_at_threshold():
    events, tracker = levels_for([69.9, 70.0])
    assert events[0] is None
    assert isinstance(events[1], MemoryLevelChanged)
    assert (events[1].old, events[1].new, events[1].percent) == (N, W, 70.0)
    assert tracker.level is W


def test_falls_only_below_threshold_minus_hysteresis():
    events, tracker = levels_for([72.0, 69.0, 67.0, 66.99])
    assert events[1] is None and events[2] is None
    assert (events[3].old, events[3].new) == (W, N)
    assert tracker.level is N


def test_no_flicker_around_a_threshold():
    events, tracker = levels_for([70.0, 69.5, 70.2, 68.1, 70.0, 67.5, 69.99])
    changes = [e for e in events if e is not None]
    assert len(changes) == 1
    assert tracker.level is W


def test_multi_level_jump_up_is_one_event():
    events, tracker = levels_for([50.0, 96.0])
    assert events[0] is None
    assert (events[1].old, events[1].new) == (N, E)
    assert tracker.level is E


def test_multi_level_drop_uses_hysteresis_band():
    # from EMERGENCY, 83 is within 3 of CRITICAL's 85 -> CRITICAL
    events, tracker = levels_for([97.0, 83.0])
    assert (events[1].old, events[1].new) == (E, C)
    # from EMERGENCY, 80 is more than 3 below 85 but within 3 of 70 -> WARNING
    events, tracker = levels_for([97.0, 80.0])
    assert (events[1].old, events[1].new) == (E, W)
    # from EMERGENCY, 10 -> NORMAL
    events, tracker = levels_for([97.0, 10.0])
    assert (events[1].old, events[1].new) == (E, N)


def test_one_event_per_change_over_a_sweep():
    up = [float(p) for p in range(0, 101)]
    down = [float(p) for p in range(100, -1, -1)]
    events, tracker = levels_for(up + down)
    changes = [(e.old, e.new, e.percent) for e in events if e is not None]
    assert changes == [
        (N, W, 70.0),
        (W, C, 85.0),
        (C, E, 95.0),
        (E, C, 91.0),
        (C, W, 81.0),
        (W, N, 66.0),
    ]


def test_zero_hysteresis_drops_just_below_threshold():
    events, tracker = levels_for([85.0, 84.99], LevelThresholds(hysteresis=0.0))
    assert (events[1].old, events[1].new) == (C, W)


def test_custom_thresholds():
    thresholds = LevelThresholds(warning=50.0, critical=60.0, emergency=70.0, hysteresis=1.0)
    events, tracker = levels_for([55.0, 65.0, 75.0, 69.5, 68.9], thresholds)
    assert [(e.old, e.new) if e else None for e in events] == [
        (N, W),
        (W, C),
        (C, E),
        None,
        (E, C),
    ]


def test_defaults():
    thresholds = LevelThresholds()
    assert (thresholds.warning, thresholds.critical, thresholds.emergency, thresholds.hysteresis) == (
        70.0,
        85.0,
        95.0,
        3.0,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"warning": 90.0},  # not ascending
        {"critical": 70.0},  # equal to warning
        {"emergency": 100.0},
        {"warning": 0.0},
        {"warning": -5.0},
        {"emergency": 120.0},
        {"hysteresis": -1.0},
        {"warning": float("nan")},
    ],
)
def test_threshold_validation(kwargs):
    with pytest.raises(UsageError):
        LevelThresholds(**kwargs)

import time

import psutil
import pytest

from app.core.errors import UsageError
from app.core.telemetry.gpu import NvmlReader
from app.core.telemetry.memory import LevelThresholds, MemoryLevel, MemoryMonitor, MemorySnapshot

MB = 1024 * 1024


class NoNvml:
    """An importer that behaves like a machine without pynvml."""

    def __call__(self):
        raise ImportError("No module named 'pynvml'")


def monitor(**kwargs) -> MemoryMonitor:
    kwargs.setdefault("gpu_reader", NvmlReader(importer=NoNvml()))
    return MemoryMonitor(**kwargs)


def test_sample_has_real_values():
    snap = monitor().sample_now()
    assert isinstance(snap, MemorySnapshot)
    assert snap.rss_bytes > 0
    assert snap.peak_rss_bytes >= snap.rss_bytes
    assert 0 < snap.ram_percent <= 100
    assert 0 < snap.ram_used_bytes < snap.ram_total_bytes
    assert snap.ram_total_bytes == psutil.virtual_memory().total
    assert snap.gpus == ()
    assert snap.gpu_state.startswith("no GPU")
    assert snap.level_percent == snap.ram_percent
    assert isinstance(snap.level, MemoryLevel)


def test_growth_follows_a_50_mb_allocation():
    mon = monitor()
    mon.set_baseline()
    mon.note_tokens(1000)
    block = bytearray(50 * MB)
    block[:: 4096] = b"\x01" * len(block[:: 4096])  # touch every page so it is resident
    snap = mon.sample_now()
    assert 45 * MB <= snap.growth_bytes <= 60 * MB
    assert snap.growth_per_token == pytest.approx(snap.growth_bytes / 1000)
    assert snap.growth_per_100_tokens == pytest.approx(snap.growth_bytes / 10)
    assert snap.baseline_rss_bytes == snap.rss_bytes - snap.growth_bytes
    del block


def test_growth_per_token_is_none_without_tokens():
    mon = monitor()
    mon.note_tokens(500)
    mon.set_baseline()
    snap = mon.sample_now()
    assert snap.growth_per_token is None
    assert snap.growth_per_100_tokens is None


def test_sampler_thread_keeps_sampling_and_stops():
    mon = monitor(interval=0.02)
    mon.start()
    assert mon.running
    deadline = time.monotonic() + 10.0
    while mon.n_samples < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    mon.stop()
    count = mon.n_samples
    assert not mon.running
    assert count >= 3
    time.sleep(0.1)
    assert mon.n_samples == count


def test_latest_is_cheap_and_returns_the_last_sample():
    mon = monitor()
    sampled = mon.sample_now()
    for _ in range(1_000):
        latest = mon.latest()
    assert latest is sampled
    assert mon.n_samples == 1  # latest() never samples on its own


def test_rss_history_is_bounded_and_records_tokens():
    mon = monitor(history_limit=5)
    for tokens in range(8):
        mon.note_tokens(tokens * 10)
        mon.sample_now()
    history = mon.rss_history()
    assert [tokens for tokens, _ in history] == [30, 40, 50, 60, 70]
    assert all(rss > 0 for _, rss in history)


def test_level_change_callback_from_sampler():
    events = []
    low = LevelThresholds(warning=0.01, critical=0.02, emergency=0.03, hysteresis=0.0)
    mon = monitor(interval=0.02, thresholds=low, on_level_change=events.append)
    with mon:
        deadline = time.monotonic() + 2.0
        while not events and time.monotonic() < deadline:
            time.sleep(0.01)
    assert len(events) == 1
    assert (events[0].old, events[0].new) == (MemoryLevel.NORMAL, MemoryLevel.EMERGENCY)
    assert mon.latest().level is MemoryLevel.EMERGENCY


def test_interval_validation():
    with pytest.raises(UsageError):
        monitor(interval=0)

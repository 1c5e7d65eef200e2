"""Process and system memory, sampled in a background thread, with pressure levels.

The level is driven by the highest of system RAM % and each GPU's VRAM %.
"""

from __future__ import annotations

import enum
import logging
import math
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import psutil

from app.core.errors import UsageError
from app.core.events import MemoryLevelChanged
from app.core.limits import check_value
from app.core.telemetry.gpu import GpuSample, NvmlReader, shared_reader

log = logging.getLogger(__name__)

HISTORY_LIMIT = 2000


class MemoryLevel(str, enum.Enum):
    NORMAL = "normal"
    WARNING = "warning"
    CRITICAL = "critical"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return _ORDER.index(self)


_ORDER = (MemoryLevel.NORMAL, MemoryLevel.WARNING, MemoryLevel.CRITICAL, MemoryLevel.EMERGENCY)


@dataclass(frozen=True)
class LevelThresholds:
    warning: float = 70.0
    critical: float = 85.0
    emergency: float = 95.0
    hysteresis: float = 3.0

    def __post_init__(self) -> None:
        values = (self.warning, self.critical, self.emergency, self.hysteresis)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise UsageError(f"memory thresholds must be numbers, got {values}")
        if not 0 < self.warning < self.critical < self.emergency < 100:
            raise UsageError(
                "memory thresholds must rise strictly between 0 and 100: "
                f"warning {self.warning} < critical {self.critical} < emergency {self.emergency}"
            )
        if self.hysteresis < 0:
            raise UsageError(f"memory hysteresis must be >= 0, got {self.hysteresis}")

    def threshold(self, level: MemoryLevel) -> float:
        """The percent at which `level` is entered; NORMAL is always entered at 0."""
        return (0.0, self.warning, self.critical, self.emergency)[level.rank]


class LevelTracker:
    """Turns a stream of percents into level changes without flicker at the edges.

    Rising: the level becomes the highest L with percent >= threshold(L), at once.
    Falling: nothing happens until percent < threshold(current) - hysteresis; then the
    level becomes the highest L with percent >= threshold(L) - hysteresis.
    """

    def __init__(self, thresholds: LevelThresholds | None = None) -> None:
        self.thresholds = thresholds or LevelThresholds()
        self.level = MemoryLevel.NORMAL

    def _highest(self, percent: float, margin: float) -> MemoryLevel:
        for level in reversed(_ORDER):
            if percent >= self.thresholds.threshold(level) - margin:
                return level
        return MemoryLevel.NORMAL

    def update(self, percent: float) -> MemoryLevelChanged | None:
        current = self.level
        new = current
        reached = self._highest(percent, 0.0)
        if reached.rank > current.rank:
            new = reached
        elif percent < self.thresholds.threshold(current) - self.thresholds.hysteresis:
            new = self._highest(percent, self.thresholds.hysteresis)
        if new is current:
            return None
        self.level = new
        return MemoryLevelChanged(old=current, new=new, percent=percent)


@dataclass(frozen=True)
class MemorySnapshot:
    rss_bytes: int
    peak_rss_bytes: int
    baseline_rss_bytes: int
    growth_bytes: int
    growth_per_100_tokens: float | None
    growth_per_token: float | None
    ram_percent: float
    ram_used_bytes: int
    ram_total_bytes: int
    gpus: tuple[GpuSample, ...]
    gpu_state: str
    level: MemoryLevel
    level_percent: float
    t: float


def _os_peak_rss() -> int:
    """The kernel's lifetime peak RSS for this process, 0 where it is not available."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class MemoryMonitor:
    def __init__(
        self,
        interval: float = 0.25,
        thresholds: LevelThresholds | None = None,
        on_level_change: Callable[[MemoryLevelChanged], None] | None = None,
        *,
        gpu_reader: NvmlReader | None = None,
        history_limit: int = HISTORY_LIMIT,
    ) -> None:
        check_value("memory_interval", interval)
        self.interval = interval
        self.on_level_change = on_level_change
        self._levels = LevelTracker(thresholds)
        self._gpu = gpu_reader or shared_reader()
        self._process = psutil.Process()
        self._lock = threading.Lock()
        self._history: deque[tuple[int, int]] = deque(maxlen=history_limit)
        self._tokens = 0
        self._baseline_rss = self._rss()
        self._baseline_tokens = 0
        self._peak_rss = self._baseline_rss
        self._latest: MemorySnapshot | None = None
        self._samples = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def thresholds(self) -> LevelThresholds:
        return self._levels.thresholds

    @property
    def n_samples(self) -> int:
        return self._samples

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _rss(self) -> int:
        return int(self._process.memory_info().rss)

    def set_baseline(self) -> None:
        rss = self._rss()
        with self._lock:
            self._baseline_rss = rss
            self._baseline_tokens = self._tokens

    def note_tokens(self, n_total_tokens_processed: int) -> None:
        self._tokens = n_total_tokens_processed

    def latest(self) -> MemorySnapshot:
        snapshot = self._latest
        return snapshot if snapshot is not None else self.sample_now()

    def rss_history(self) -> list[tuple[int, int]]:
        with self._lock:
            return list(self._history)

    def sample_now(self) -> MemorySnapshot:
        rss = self._rss()
        ram = psutil.virtual_memory()
        gpus, gpu_state = self._gpu.read()
        level_percent = max([float(ram.percent)] + [g.percent for g in gpus])
        with self._lock:
            tokens = self._tokens
            self._peak_rss = max(self._peak_rss, rss, _os_peak_rss())
            growth = rss - self._baseline_rss
            since = tokens - self._baseline_tokens
            per_token = growth / since if since > 0 else None
            event = self._levels.update(level_percent)
            snapshot = MemorySnapshot(
                rss_bytes=rss,
                peak_rss_bytes=self._peak_rss,
                baseline_rss_bytes=self._baseline_rss,
                growth_bytes=growth,
                growth_per_100_tokens=per_token * 100 if per_token is not None else None,
                growth_per_token=per_token,
                ram_percent=float(ram.percent),
                ram_used_bytes=int(ram.used),
                ram_total_bytes=int(ram.total),
                gpus=gpus,
                gpu_state=gpu_state,
                level=self._levels.level,
                level_percent=level_percent,
                t=time.perf_counter(),
            )
            self._history.append((tokens, rss))
            self._latest = snapshot
            self._samples += 1
        if event is not None and self.on_level_change is not None:
            self.on_level_change(event)
        return snapshot

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="memory-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                self.sample_now()
            except Exception:
                log.exception("memory sample failed")
            next_at += self.interval
            delay = next_at - time.monotonic()
            if delay < 0:
                next_at = time.monotonic()
                delay = 0.0
            self._stop.wait(delay)

    def __enter__(self) -> MemoryMonitor:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

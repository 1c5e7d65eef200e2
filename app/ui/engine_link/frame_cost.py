"""What the dashboard costs while a reply streams: the UI thread's CPU share and each frame's time.

A frame is timed from the moment the streamed text is handed to the widgets until the screen
update that shows it has been written. The CPU share is the UI thread's own CPU time over the
wall time since the reply's first frame; it runs on the thread that measures it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameCost:
    cpu_share: float | None  # 0..1 of one core, None before a second has been measured
    frame_ms: float | None  # median time per frame
    slowest_ms: float | None
    frames: int
    streaming: bool  # still measuring; else these are the last reply's


class FrameCostMeter:
    MIN_SECONDS = 0.2  # a shorter stretch says nothing about the share

    def __init__(self) -> None:
        self._frames: list[float] = []
        self._cpu0 = self._wall0 = 0.0
        self._cpu = self._wall = 0.0
        self.streaming = False

    def frame_started(self) -> float:
        """Call as a frame's text reaches the widgets; the first one of a reply starts the clock."""
        if not self.streaming:
            self.streaming = True
            self._frames = []
            self._cpu0, self._wall0 = time.thread_time(), time.perf_counter()
        return time.perf_counter()

    def frame_painted(self, started: float) -> None:
        self._frames.append((time.perf_counter() - started) * 1000)

    def stop(self) -> None:
        if self.streaming:
            self._cpu, self._wall = time.thread_time() - self._cpu0, time.perf_counter() - self._wall0
            self.streaming = False

    def cost(self) -> FrameCost | None:
        """None before any reply has streamed."""
        if not self._frames and not self.streaming:
            return None
        if self.streaming:
            cpu, wall = time.thread_time() - self._cpu0, time.perf_counter() - self._wall0
        else:
            cpu, wall = self._cpu, self._wall
        frames = self._frames
        return FrameCost(
            cpu_share=cpu / wall if wall >= self.MIN_SECONDS else None,
            frame_ms=statistics.median(frames) if frames else None,
            slowest_ms=max(frames) if frames else None,
            frames=len(frames),
            streaming=self.streaming,
        )

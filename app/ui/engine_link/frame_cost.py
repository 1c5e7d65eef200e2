"""What the dashboard costs while a reply streams: the UI thread's CPU share and its CPU time per frame.

The UI thread does all the drawing (the Markdown of the reply, layout, the sidebar, writing the
screen), so its CPU time since the reply's first frame, over the frames shown, is what a frame
costs to render. Measured with `time.thread_time` on the thread that draws, from the first
frame of a reply to the end of its turn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class FrameCost:
    cpu_share: float | None  # 0..1 of one core, None before enough time has been measured
    frame_ms: float | None  # UI thread CPU time per frame shown
    frames: int
    streaming: bool  # still measuring; else these are the last reply's


class FrameCostMeter:
    MIN_SECONDS = 0.2  # a shorter stretch says nothing about the share

    def __init__(self) -> None:
        self._frames = 0
        self._cpu0 = self._wall0 = 0.0
        self._cpu = self._wall = 0.0
        self.streaming = False

    def frame_shown(self) -> None:
        """Call as a frame's text reaches the widgets; the first one of a reply starts the clock."""
        if not self.streaming:
            self.streaming = True
            self._frames = 0
            self._cpu0, self._wall0 = time.thread_time(), time.perf_counter()
        self._frames += 1

    def stop(self) -> None:
        if self.streaming:
            self._cpu, self._wall = time.thread_time() - self._cpu0, time.perf_counter() - self._wall0
            self.streaming = False

    def cost(self) -> FrameCost | None:
        """None before any reply has streamed."""
        if not self._frames:
            return None
        if self.streaming:
            cpu, wall = time.thread_time() - self._cpu0, time.perf_counter() - self._wall0
        else:
            cpu, wall = self._cpu, self._wall
        return FrameCost(
            cpu_share=cpu / wall if wall >= self.MIN_SECONDS else None,
            frame_ms=1000 * cpu / self._frames,
            frames=self._frames,
            streaming=self.streaming,
        )

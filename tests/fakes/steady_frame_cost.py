"""A frame-cost meter with fixed figures, so screenshots do not change with the machine's load.

It has `FrameCostMeter`'s interface; the real meter is tested on its own (tests/ui/test_frame_cost.py).
"""

from __future__ import annotations

from app.ui.engine_link.frame_cost import FrameCost


class SteadyFrameCost:
    def __init__(self) -> None:
        self.streaming = False
        self._frames = 0

    def frame_started(self) -> float:
        self.streaming = True
        return 0.0

    def frame_painted(self, started: float) -> None:
        self._frames += 1

    def stop(self) -> None:
        self.streaming = False

    def cost(self) -> FrameCost | None:
        if not self._frames and not self.streaming:
            return None
        return FrameCost(cpu_share=0.042, frame_ms=3.1, slowest_ms=7.5, frames=self._frames, streaming=self.streaming)

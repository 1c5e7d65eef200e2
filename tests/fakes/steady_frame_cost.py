"""A frame-cost meter with fixed figures, so screenshots do not change with the machine's load.

It has `FrameCostMeter`'s interface; the real meter is tested on its own (tests/ui/test_frame_cost.py).
"""

from __future__ import annotations

from app.ui.engine_link.frame_cost import FrameCost


class SteadyFrameCost:
    def __init__(self) -> None:
        self.streaming = False
        self._frames = 0

    def frame_shown(self) -> None:
        self.streaming = True
        self._frames += 1

    def stop(self) -> None:
        self.streaming = False

    def cost(self) -> FrameCost | None:
        if not self._frames:
            return None
        return FrameCost(cpu_share=0.042, frame_ms=3.1, frames=self._frames, streaming=self.streaming)

"""The event sink handed to the core: any thread may call it; it never touches a widget.

Token events and dashboards go into a `LiveBuffer` that the UI drains at most 10 times a
second; every other event is posted as its own message so nothing is lost or reordered.
"""

from __future__ import annotations

from app.core.events import DashboardUpdate, TokenEvent
from app.ui.engine_link.live_buffer import LiveBatch, LiveBuffer
from app.ui.engine_link.messages import EngineMessage, LiveDataReady


class EventBridge:
    def __init__(self, target) -> None:
        """`target` is the App: its `post_message` is safe to call from any thread."""
        self._target = target
        self.buffer = LiveBuffer()

    def __call__(self, event: object) -> None:
        if isinstance(event, TokenEvent):
            if self.buffer.add_token(event):
                self._target.post_message(LiveDataReady())
        elif isinstance(event, DashboardUpdate):
            if self.buffer.set_dashboard(event):
                self._target.post_message(LiveDataReady())
        else:
            self._target.post_message(EngineMessage(event))

    def take(self) -> LiveBatch | None:
        return self.buffer.take()

"""Textual messages that carry core events from the engine thread to the UI thread."""

from __future__ import annotations

from textual.message import Message


class EngineMessage(Message):
    """One low-rate core event (load progress, turn boundaries, alerts, errors), in order."""

    def __init__(self, event: object) -> None:
        super().__init__()
        self.event = event


class LiveDataReady(Message):
    """Tokens or a dashboard wait in the live buffer. One pending copy says it all."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, LiveDataReady)

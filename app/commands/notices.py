"""What a headless command tells its user besides its output: warnings and notices on stderr."""

from __future__ import annotations

import sys
import threading

from app.core import events as ev
from app.core.telemetry.memory import MemoryLevel

LABELS = {"information": "note", "warning": "warning", "error": "error"}


def notice_of(event: object) -> ev.Notice | None:
    """The line a session event means for the user, if it means one."""
    if isinstance(event, ev.Notice):
        return event
    if isinstance(event, ev.ThresholdCrossed) and event.rising:
        return ev.Notice(f"context usage crossed {event.threshold:g}% of the effective budget "
                         f"({event.percent:.1f}%)", "warning")
    if (isinstance(event, ev.MemoryLevelChanged) and event.new is not MemoryLevel.NORMAL
            and event.new.rank > event.old.rank):
        return ev.Notice(f"memory level {event.new.value.upper()}: {event.percent:.0f}% used", "warning")
    return None


class NoticeLines:
    """Every notice as one `contextwatch: warning: ...` line on stderr, and kept for the JSON report.

    Lines that arrive once the reply has begun streaming wait for `flush`, so they never split
    the reply on a terminal. Events come from the engine and the memory monitor's threads.
    """

    def __init__(self, stream=None) -> None:
        self.stream = stream
        self.messages: list[str] = []
        self._waiting: list[str] = []
        self._streaming = False
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        if isinstance(event, ev.TokenEvent):
            self._streaming = True
            return
        notice = notice_of(event)
        if notice is None:
            return
        line = f"contextwatch: {LABELS.get(notice.severity, notice.severity)}: {notice.message}\n"
        with self._lock:
            self.messages.append(notice.message)
            self._waiting.append(line)
            if not self._streaming:
                self._write()

    def flush(self) -> None:
        with self._lock:
            self._write()

    def _write(self) -> None:
        if self._waiting:
            stream = self.stream or sys.stderr
            stream.write("".join(self._waiting))
            stream.flush()
            self._waiting.clear()

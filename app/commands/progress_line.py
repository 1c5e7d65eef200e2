"""A one-line progress report on stderr for the slow steps of a headless run, on a terminal only.

The line is rewritten in place and erased once the step is done, so nothing of it stays
between the notices and the reply; piped or redirected stderr gets nothing.
"""

from __future__ import annotations

import sys

from app.core import events as ev


def progress_text(event: object) -> str | None:
    if isinstance(event, ev.CountProgress):
        return f"counting the history's tokens · {event.done:,} / {event.total:,} messages"
    if isinstance(event, ev.PrefillProgress):
        return f"reading the prompt · {event.done:,} / {event.total:,} tokens"
    return None


class ProgressLine:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._width = 0

    def __call__(self, event: object) -> None:
        text = progress_text(event)
        if text is None or not self.enabled:
            return
        finished = event.done >= event.total
        line = "" if finished else f"contextwatch: {text}"
        self.stream.write("\r" + line.ljust(self._width) + ("\r" if finished else ""))
        self.stream.flush()
        self._width = 0 if finished else len(line)

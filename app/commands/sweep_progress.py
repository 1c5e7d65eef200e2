"""The sweep's progress on stderr: a rich progress bar with the time left, on a terminal only.

Piped or redirected stderr gets no progress, only the warnings, each on its own line.
"""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

BAR_WIDTH = 12  # with the stage's label and both times, the line fits 80 columns


class SweepProgress:
    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        console = Console(file=self.stream)
        self.bar: Progress | None = None
        if console.is_terminal:
            self.bar = Progress(
                TextColumn("sweep"), BarColumn(bar_width=BAR_WIDTH), MofNCompleteColumn(), TextColumn("{task.description}"),
                TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                console=console, transient=True,
            )
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            return
        if self._task is None:
            self.bar.start()
            self._task = self.bar.add_task(label, total=total)
        self.bar.update(self._task, completed=done, total=total, description=label)

    def note(self, text: str) -> None:
        line = f"contextwatch: warning: {text}"
        if self.bar is not None and self._task is not None:
            self.bar.console.print(line, markup=False, highlight=False)
        else:
            self.stream.write(line + "\n")
            self.stream.flush()

    def end(self) -> None:
        if self.bar is not None and self._task is not None:
            self.bar.stop()
            self._task = None

"""What the engine thread is doing, as the front end knows it: one value, kept by one tracker.

The front end tells the tracker each command it sends and passes it every event; guards and
the status line read the resulting `EngineState` instead of flags of their own.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from app.core import events as ev
from app.core.compression.strategies import SUMMARIZING
from app.core.session.runner import CommandFinished, CommandStarted
from app.core.sweep.session_sweep import SweepProgress


class Activity(str, enum.Enum):
    IDLE = "idle"
    LOADING = "loading"
    GENERATING = "generating"
    SUMMARIZING = "summarizing"
    RELOADING = "reloading"
    SWEEPING = "sweeping"
    WORKING = "working"


@dataclass(frozen=True)
class Progress:
    """`done` of `total` `unit` (tokens, messages, settings); `what` names the step ("emergency compression")."""

    done: int
    total: int
    unit: str
    what: str = ""


@dataclass(frozen=True)
class EngineState:
    activity: Activity = Activity.IDLE
    command: Any = None  # the command the engine thread is running now
    progress: Progress | None = None
    queued: tuple = ()  # commands sent and not started, oldest first
    loaded: bool = False  # the first load command has returned
    load_failed: str | None = None
    n_ctx: int | None = None  # from the last ModelLoaded

    @property
    def label(self) -> str | None:
        return self.command.label if self.command is not None else None

    @property
    def pending(self) -> int:
        """Commands sent and not finished, the running one included."""
        return len(self.queued) + (self.command is not None)

    @property
    def idle(self) -> bool:
        return self.command is None and not self.queued

    @property
    def generating(self) -> bool:
        """A reply turn is running (it may be compressing or summarizing before its prompt)."""
        return self.command is not None and self.command.activity is Activity.GENERATING

    @property
    def turn_pending(self) -> bool:
        """A reply turn is running or queued."""
        return self.generating or any(c.activity is Activity.GENERATING for c in self.queued)

    @property
    def can_send(self) -> bool:
        return self.load_failed is None and not self.turn_pending

    @property
    def free(self) -> bool:
        """The model has loaded and nothing is running or queued: a command can have it to itself."""
        return self.loaded and self.load_failed is None and self.idle

    @property
    def cancellable(self) -> bool:
        return self.command is not None and self.command.cancellable


class EngineStateTracker:
    """Keeps the `EngineState`; `sent` is called on the front end's thread before the command is queued."""

    def __init__(self) -> None:
        self.state = EngineState()

    def sent(self, command: Any) -> EngineState:
        self.state = replace(self.state, queued=self.state.queued + (command,))
        return self.state

    def update(self, event: object) -> EngineState:
        s = self.state
        if isinstance(event, CommandStarted):
            at = next((i for i, c in enumerate(s.queued) if c is event.command), None)
            queued = s.queued if at is None else s.queued[:at] + s.queued[at + 1:]
            self.state = replace(s, command=event.command, activity=event.command.activity, progress=None,
                                 queued=queued)
        elif isinstance(event, CommandFinished):
            loaded = s.loaded or (event.ok and event.command.activity is Activity.LOADING)
            self.state = replace(s, command=None, activity=Activity.IDLE, progress=None, loaded=loaded)
        elif isinstance(event, ev.PrefillProgress):
            self.state = replace(s, progress=Progress(event.done, event.total, "tokens", event.after))
        elif isinstance(event, ev.CountProgress):
            self.state = replace(s, progress=Progress(event.done, event.total, "messages"))
        elif isinstance(event, ev.CompressionStarted) and event.strategy in SUMMARIZING:
            self.state = replace(s, activity=Activity.SUMMARIZING)
        elif isinstance(event, SweepProgress):
            self.state = replace(s, progress=Progress(event.done, event.total, "settings", event.label))
        elif isinstance(event, ev.ModelLoaded):
            self.state = replace(s, n_ctx=event.n_ctx)
        elif isinstance(event, ev.EngineError) and not s.loaded:
            self.state = replace(s, load_failed=event.message)
        return self.state

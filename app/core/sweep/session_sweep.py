"""A sweep started from a running session: the request, its progress events, and the run on the engine thread."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from app.core import events as ev
from app.core.sweep.run import SweepPoint, run_sweep


@dataclass(frozen=True)
class SweepProgress:
    """A sweep stage began: `done` of `total` stages are finished. Sent through the session's sink."""

    done: int
    total: int
    label: str


@dataclass(frozen=True)
class SweepRequest:
    points: tuple[SweepPoint, ...]
    fill: float
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)


def sweep_in_engine(session: Any, request: SweepRequest) -> list:
    """Runs in the engine thread; progress and warnings go out through the session's sink."""
    from app.core.session.reload import refuse_on_server

    refuse_on_server(session, "sweep")

    def progress(done: int, total: int, label: str) -> None:
        session.sink(SweepProgress(done, total, label))

    return run_sweep(session.model_path, request.points, request.fill, progress, request.cancel,
                     on_warning=lambda text: session.sink(ev.Notice(text, "warning")))

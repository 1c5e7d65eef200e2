"""Hold the engine thread at a chosen point until the test has looked at the screen.

A real model answers at whatever speed the machine has; a test that needs the turn to be in a
given state (mid-reply, before the first token, inside a summary) holds the engine there instead
of hoping it is still there.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

from app.core.engine.llama.engine import LlamaEngine

HOLD_LIMIT = 120.0  # seconds: a test that never releases fails instead of hanging


class EngineGate:
    """Used as `with gate:` inside `run_test`, so a failing test never leaves the engine held."""

    def __init__(self) -> None:
        self._when: Callable[[object], bool] | None = None
        self._go = threading.Event()
        self.held: object | None = None

    def hold(self, when: Callable[[object], bool]) -> None:
        """Stop the engine thread at the next point (an event, or a `SyncStart`) that `when` accepts."""
        self.held = None
        self._when = when

    def release(self) -> None:
        """Let the engine go on from the point it is held at."""
        self._go.set()

    def point(self, what: object) -> None:
        """Called on the engine thread wherever it may be held."""
        when = self._when
        if when is None or not when(what):
            return
        self._when = None
        go = self._go = threading.Event()
        self.held = what
        if not go.wait(HOLD_LIMIT):
            raise RuntimeError("the test never released the engine")

    def __enter__(self) -> EngineGate:
        return self

    def __exit__(self, *exc) -> None:
        self._when = None
        self._go.set()

    def sink(self, sink: Callable[[object], None]) -> Callable[[object], None]:
        """The session's event sink, holding once an event has been passed on to the UI."""

        def gated(event: object) -> None:
            sink(event)
            self.point(event)

        return gated

    def engine(self) -> LlamaEngine:
        """An engine that can be held as it starts to evaluate a prompt (`SyncStart`)."""
        return GatedEngine(self)


@dataclass(frozen=True)
class SyncStart:
    """The engine is about to evaluate a prompt that `caller` (a module name) asked for."""

    caller: str


def sync_start(point: object) -> bool:
    return isinstance(point, SyncStart)


class GatedEngine(LlamaEngine):
    def __init__(self, gate: EngineGate) -> None:
        super().__init__()
        self.gate = gate

    def sync(self, ids, cancel=None, progress=None, shift=False):
        self.gate.point(SyncStart(sys._getframe(1).f_globals["__name__"]))
        return super().sync(ids, cancel, progress, shift)

"""The engine thread: the one thread that touches the model, fed by a queue of commands.

A front end calls `run(command)`; `command.run(session)` runs in this thread, and what it emits
reaches the front end through the session's sink, then `CommandFinished` with the command's
typed result. Errors become `EngineError` events.
"""

from __future__ import annotations

import enum
import queue
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from app.core import events as ev
from app.core.errors import Cancelled, ContextWatchError

R = TypeVar("R")


class Outcome(str, enum.Enum):
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class CommandStarted:
    command: Any  # an app.core.session.commands command
    t: float = field(default_factory=ev.now)


@dataclass(frozen=True)
class CommandFinished(Generic[R]):
    command: Any
    result: R | None = None
    outcome: Outcome = Outcome.DONE
    t: float = field(default_factory=ev.now)

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE

    @property
    def cancelled(self) -> bool:
        return self.outcome is Outcome.CANCELLED


_STOP = object()


class EngineRunner:
    def __init__(self, session, sink: ev.EventSink) -> None:
        self.session = session
        self._sink = sink
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="contextwatch-engine", daemon=True)
        self._busy = threading.Event()

    def start(self) -> None:
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._busy.is_set() or not self._queue.empty()

    def run(self, command: Any) -> None:
        self._queue.put(command)

    def cancel(self) -> None:
        self.session.cancel()

    def stop(self, timeout: float = 20.0) -> None:
        self.session.cancel()
        self._queue.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                break
            self._busy.set()
            try:
                run_one(item, self.session, self._sink)
            finally:
                self._busy.clear()
        try:
            self.session.close()
        except Exception:
            pass


def run_one(command: Any, session: Any, sink: ev.EventSink) -> None:
    """Run `command` on `session`, framed by CommandStarted and CommandFinished."""
    sink(CommandStarted(command))
    try:
        result = command.run(session)
    except Cancelled as err:
        sink(ev.Notice(str(err)))
        sink(CommandFinished(command, outcome=Outcome.CANCELLED))
    except ContextWatchError as err:
        sink(ev.EngineError(str(err)))
        sink(CommandFinished(command, outcome=Outcome.FAILED))
    except Exception as err:  # the engine thread must survive anything a command does
        detail = traceback.format_exception_only(type(err), err)[-1].strip()
        sink(ev.EngineError(f"{command.label} failed: {detail}"))
        sink(CommandFinished(command, outcome=Outcome.FAILED))
    else:
        sink(CommandFinished(command, result))

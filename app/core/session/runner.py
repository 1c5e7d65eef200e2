"""The engine thread: the one thread that touches the model, fed by a queue of commands.

A front end calls `run(name, fn)`; `fn(session)` runs in this thread, and what it emits
reaches the front end through the session's sink. Errors become `EngineError` events.
"""

from __future__ import annotations

import queue
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from app.core import events as ev
from app.core.errors import Cancelled, ContextWatchError


@dataclass(frozen=True)
class CommandStarted:
    name: str
    t: float = field(default_factory=ev.now)


@dataclass(frozen=True)
class CommandFinished:
    name: str
    result: Any = None
    ok: bool = True
    cancelled: bool = False
    t: float = field(default_factory=ev.now)


_STOP = object()


class EngineRunner:
    def __init__(self, session, sink: ev.EventSink) -> None:
        self.session = session
        self._sink = sink
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="contextwatch-engine", daemon=True)
        self._busy = threading.Event()
        self.current: str | None = None

    def start(self) -> None:
        self._thread.start()

    @property
    def busy(self) -> bool:
        return self._busy.is_set() or not self._queue.empty()

    def run(self, name: str, fn: Callable[[Any], Any]) -> None:
        self._queue.put((name, fn))

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
            name, fn = item
            self.current = name
            self._busy.set()
            self._sink(CommandStarted(name))
            try:
                result = fn(self.session)
            except Cancelled as err:
                self._sink(ev.Notice(str(err)))
                self._sink(CommandFinished(name, ok=False, cancelled=True))
            except ContextWatchError as err:
                self._sink(ev.EngineError(str(err)))
                self._sink(CommandFinished(name, ok=False))
            except Exception as err:  # the engine thread must survive anything a command does
                detail = traceback.format_exception_only(type(err), err)[-1].strip()
                self._sink(ev.EngineError(f"{name} failed: {detail}"))
                self._sink(CommandFinished(name, ok=False))
            else:
                self._sink(CommandFinished(name, result))
            finally:
                self.current = None
                self._busy.clear()
        try:
            self.session.close()
        except Exception:
            pass

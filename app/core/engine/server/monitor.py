"""The server panel's numbers, polled from a thread of its own with a client of its own, so a stream never waits.

Every `interval` seconds: `/health`, then `/slots` and `/metrics` where the server has them.
A server that stops answering is reported offline, and online again when `/health` answers.
"""

from __future__ import annotations

import threading

from app.core import events as ev
from app.core.engine.server.client import ServerClient
from app.core.engine.server.facts import LLAMA_SERVER, ServerFacts
from app.core.engine.server.metrics import parse_metrics
from app.core.engine.server.options import ServerOptions
from app.core.errors import ContextWatchError

POLL_SECONDS = 1.0
POLL_TIMEOUT = 2.0


class ServerMonitor:
    def __init__(self, options: ServerOptions, facts: ServerFacts, slot: int, sink: ev.EventSink,
                 interval: float = POLL_SECONDS) -> None:
        self.options, self.facts, self.slot, self.sink, self.interval = options, facts, slot, sink, interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.online = True
        self.health_path = "/health" if facts.kind == LLAMA_SERVER else "/v1/models"
        self._decodes: tuple[float, float] | None = None  # (n_decode_total, when) at the poll before

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="server-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=POLL_TIMEOUT + 1)

    def _run(self) -> None:
        try:
            client = ServerClient(self.options, timeout=POLL_TIMEOUT)
        except ContextWatchError as err:
            self.sink(ev.ServerStatus(online=False, problem=str(err)))
            return
        try:
            while not self._stop.is_set():
                self.sink(self.poll(client))
                self._stop.wait(self.interval)
        finally:
            client.close()

    def poll(self, client: ServerClient) -> ev.ServerStatus:
        try:
            client.get(self.health_path)
        except ContextWatchError as err:
            was, self.online = self.online, False
            if was:
                self.sink(ev.Notice(f"the server stopped answering: {err}", "error"))
            return ev.ServerStatus(online=False, problem=str(err))
        if not self.online:
            self.sink(ev.Notice(f"the server at {self.options.base_url} answers again"))
        self.online = True
        status = ev.ServerStatus(online=True, total_slots=self.facts.total_slots)
        try:
            if self.facts.has_slots:
                slots = client.get("/slots")
                if isinstance(slots, list):
                    status.slots_busy = sum(1 for s in slots if isinstance(s, dict) and s.get("is_processing"))
            if self.facts.has_metrics:
                m = parse_metrics(client.get_text("/metrics"))
                status.requests_processing = _count(m.get("requests_processing"))
                status.requests_deferred = _count(m.get("requests_deferred"))
                status.generated_total = _count(m.get("tokens_predicted_total"))
                status.decode_tps = self._decode_rate(m.get("n_decode_total"), status.t)
                status.n_tokens_max = _count(m.get("n_tokens_max"))
                status.prompt_tokens_total = _count(m.get("prompt_tokens_total"))
                status.cached_tokens_total = _count(m.get("prompt_tokens_cached_total"))
        except ContextWatchError as err:
            status.problem = str(err)
        return status


    def _decode_rate(self, decodes: float | None, t: float) -> float | None:
        """Decode calls per second between two polls: llama-server counts one per generated token and slot."""
        if decodes is None:
            return None
        before, self._decodes = self._decodes, (decodes, t)
        if before is None or t <= before[1] or decodes < before[0]:
            return None
        return (decodes - before[0]) / (t - before[1])


def _count(value: float | None) -> int | None:
    return None if value is None else int(value)

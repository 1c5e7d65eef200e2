"""Where high-rate events wait between screen updates: token text and the newest dashboard.

Written by the engine thread, drained by the UI thread; every operation is O(1) under a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.core.events import DashboardUpdate, TokenEvent


@dataclass(frozen=True)
class LiveBatch:
    text: str
    n_tokens: int
    last_token: TokenEvent | None
    dashboard: DashboardUpdate | None


class LiveBuffer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chunks: list[str] = []
        self._n_tokens = 0
        self._last_token: TokenEvent | None = None
        self._dashboard: DashboardUpdate | None = None

    def add_token(self, event: TokenEvent) -> bool:
        """Store a token; True when the buffer was empty (a flush must be asked for)."""
        with self._lock:
            was_empty = self._is_empty()
            self._chunks.append(event.text)
            self._n_tokens += 1
            self._last_token = event
            return was_empty

    def set_dashboard(self, update: DashboardUpdate) -> bool:
        with self._lock:
            was_empty = self._is_empty()
            self._dashboard = update
            return was_empty

    def has_data(self) -> bool:
        with self._lock:
            return not self._is_empty()

    def _is_empty(self) -> bool:
        return self._n_tokens == 0 and self._dashboard is None

    def take(self) -> LiveBatch | None:
        with self._lock:
            if self._is_empty():
                return None
            batch = LiveBatch("".join(self._chunks), self._n_tokens, self._last_token, self._dashboard)
            self._chunks = []
            self._n_tokens = 0
            self._last_token = None
            self._dashboard = None
            return batch

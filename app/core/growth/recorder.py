"""Each finished turn of a session, written to the growth history (SQLite) as one row."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from app.core import events as ev
from app.core.errors import ContextWatchError

if TYPE_CHECKING:
    from app.core.growth.store import GrowthStore
    from app.core.session.session import TurnResult


class GrowthRecorder:
    """Off when `enabled` is False or the store cannot open: the session goes on, with a notice."""

    def __init__(self, sink: ev.EventSink, enabled: bool = True) -> None:
        self.sink = sink
        self.enabled = enabled
        self.store: GrowthStore | None = None
        self.session_id: int | None = None

    def open(self, model: str, n_ctx: int) -> None:
        if not self.enabled:
            return
        from app.core.growth.store import GrowthStore

        try:
            if self.store is None:
                self.store = GrowthStore()
            self.session_id = self.store.start_session(model, n_ctx)
        except (ContextWatchError, OSError) as err:
            self.store = None
            self.sink(ev.Notice(f"turn history is off: {err}", "warning"))
        else:
            self.sink(ev.GrowthOpened(self.store.path, self.session_id))

    def record(self, prompt: str, model: str, n_ctx: int, context_before: int, result: TurnResult,
               compression: str | None) -> None:
        if self.store is None or self.session_id is None:
            return
        from app.core.growth.records import TurnRecord

        try:
            self.store.record_turn(self.session_id, TurnRecord(
                prompt=prompt,
                time=time.time(), model=model, n_ctx=n_ctx,
                input_tokens=result.prompt_tokens, output_tokens=result.generated_tokens,
                context_before=context_before, context_after=result.context_after or result.total_tokens,
                reused=result.sync.reused, evaluated=result.sync.evaluated,
                ttft_ms=result.latency.ttft_ms, tokens_per_s=result.latency.decode_tps, compression=compression,
                shifted=result.sync.shifted, context_shifts=len(result.shifts),
            ))
        except (ContextWatchError, OSError) as err:
            self.sink(ev.Notice(f"could not record the turn: {err}", "warning"))

    def close(self) -> None:
        if self.store is not None:
            self.store.close()

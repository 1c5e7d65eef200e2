"""What a reply does when it fills the context (`on_full`): stop, shift the cache, or compress the history and go on.

"shift" works like llama.cpp's context shift: the system prompt and pinned messages stay, the
older half of every other cached token (the reply's own included) leaves the cache, and the
reply continues; the conversation keeps every message. "compress" applies the configured
strategy to the history (undoable like any compression), syncs the cache to the shorter prompt
followed by the reply so far, and continues.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.core import events as ev
from app.core.compression.policy import MIN_REPLY_TOKENS
from app.core.errors import ContextWatchError

if TYPE_CHECKING:
    from app.core.session.session import Session


def _runs(positions: list[int]) -> list[tuple[int, int]]:
    """Sorted positions as [begin, end) ranges of consecutive ones."""
    ranges: list[tuple[int, int]] = []
    for p in positions:
        if ranges and ranges[-1][1] == p:
            ranges[-1] = (ranges[-1][0], p + 1)
        else:
            ranges.append((p, p + 1))
    return ranges


class FullContext:
    """One reply's way past a full context, and the record of each time it was taken."""

    def __init__(self, session: Session, prompt_len: int) -> None:
        self.session = session
        self.reply_start = prompt_len  # where the reply begins in the cache
        self.kept: list[bool] = []  # per cached position: never shifted out (system prompt, pinned messages)
        self.shifts: list[tuple[int, int]] = []  # (reply tokens so far, tokens dropped), each time
        self.refused: str | None = None

    def hook(self) -> Callable[[], bool] | None:
        """What the engine calls when the cache is full, or None to stop there."""
        session = self.session
        mode = session.settings.on_full
        if mode != "stop" and session.engine.backend.remote:
            self.refused = (f"on_full = \"{mode}\" is not available on a model server: the server ended the reply "
                            "at its full context (llama-server's own --context-shift can go on)")
            return None
        if mode == "shift":
            blocker = session.engine.shift_blocker() if session.engine.capabilities.can_shift_cache else \
                "this backend cannot shift its cache"
            if blocker is not None:
                self.refused = f"on_full = \"shift\" is not available here ({blocker}): the reply stopped at the full context"
                return None
            self.kept = self._protected()
            return self._shift
        if mode == "compress":
            return self._compress
        return None

    @property
    def dropped(self) -> int:
        return sum(d for _, d in self.shifts)

    def metrics(self) -> dict:
        if not self.shifts:
            return {}
        return {"context_shifts": len(self.shifts), "shifted_at": self.shifts[0][0], "shift_dropped": self.dropped,
                "on_full": self.session.settings.on_full}

    def _protected(self) -> list[bool]:
        messages = self.session.conversation.messages
        kept: list[bool] = []
        for i, m in enumerate(messages):
            kept.extend([m.pinned or (i == 0 and m.role == "system")] * m.tokens)
        return kept[: self.reply_start]

    def _made_room(self, before: int, prompt_len: int, how: str) -> bool:
        """Record a way past the full cache that took it from `before` tokens down, with `prompt_len` as it was."""
        session = self.session
        dropped = before - session.engine.n_tokens
        session._prompt_len = prompt_len - max(0, dropped)  # the prompt and the reply so far still add up to the cache
        if dropped <= 0:
            return False
        self.shifts.append((session._generated, dropped))
        session.sink(ev.ContextShifted(session._generated, dropped, how, self.shifts[0][0], len(self.shifts),
                                       self.dropped))
        return True

    def _shift(self) -> bool:
        engine = self.session.engine
        n = engine.n_tokens
        kept = self.kept + [False] * (n - len(self.kept))
        free = [p for p in range(n) if not kept[p]]
        discard = free[: len(free) // 2]
        if not discard:
            return False
        engine.shift_out(_runs(discard))
        gone = set(discard)
        self.kept = [k for p, k in enumerate(kept) if p not in gone]
        self.reply_start -= sum(1 for p in discard if p < self.reply_start)
        return self._made_room(n, self.session._prompt_len, "shift")

    def _compress(self) -> bool:
        session = self.session
        engine = session.engine
        policy = session.compression
        n = engine.n_tokens
        reply = engine.cached_ids()[self.reply_start:]
        room = min(policy.reserve, max(MIN_REPLY_TOKENS, (engine.n_ctx - len(reply)) // 2))
        target = min(policy.target(emergency=True), engine.n_ctx - len(reply) - room)
        if target <= 0:
            return False
        generated, prompt_len = session._generated, session._prompt_len
        try:
            plan = policy.plan(session.settings.compress_strategy, None, target, protect_last=True)
            if not plan.changed:
                plan = policy.plan("sliding", None, target, protect_last=True)
            if not plan.changed:
                session.sink(ev.Notice("on_full = \"compress\": nothing in the history is left to compress (the system "
                                       "prompt, pinned messages and the question stay): the reply stops here", "warning"))
                return False
            policy.apply(plan, "full context", sync=False)
            ids = session._refresh_costs(add_generation_prompt=True)
        except ContextWatchError as err:
            session.sink(ev.Notice(f"on_full = \"compress\" could not make room: {err}", "warning"))
            return False
        finally:
            session._generated = generated
        if len(ids) + len(reply) >= engine.n_ctx:
            session._prompt_len = prompt_len
            return False
        policy.record(engine.sync(ids + reply, session._cancel, shift=session.shifting))
        self.reply_start = len(ids)
        return self._made_room(n, prompt_len, "compress")

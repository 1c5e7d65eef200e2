"""Per-turn trends: how fast the context grows, when it will be full, and how much the prefix cache saves.

A turn's growth is the context after its reply minus the context before its question. Only a
new question's turn in which no compression ran counts for the growth: a compression shrinks
the context by choice, and a regenerated reply replaces one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GROWTH_BASIS = 5  # the newest turns the growth per turn is averaged over


@dataclass(frozen=True)
class Forecast:
    """At `growth_per_turn`, the turns until the context passes each mark; 0 when it already has."""

    growth_per_turn: float
    basis_turns: int
    used: int
    turns_to_full: int | None  # the effective budget; None when the context does not grow
    turns_to_compress: int | None  # the auto-compression trigger; None when it is off or nothing grows
    compress_at: int | None  # the trigger in tokens, when auto-compression is on

    def to_json(self) -> dict:
        return {"growth_per_turn": round(self.growth_per_turn, 1), "basis_turns": self.basis_turns,
                "turns_to_full": self.turns_to_full, "turns_to_compress": self.turns_to_compress,
                "compress_at_tokens": self.compress_at}


@dataclass(frozen=True)
class CacheHits:
    """Prompt tokens the KV cache already held, of those each turn's prompt needed.

    "Reused" counts every cached token the prompt kept: the prefix left in place and the tokens
    shifted down past a dropped range alike (`SyncResult.kept`).
    """

    turn_reused: int
    turn_prompt: int
    session_reused: int
    session_prompt: int
    by_turn: tuple[tuple[int, float], ...]  # (turn number, percent reused)

    @property
    def turn_percent(self) -> float | None:
        return _percent(self.turn_reused, self.turn_prompt)

    @property
    def session_percent(self) -> float | None:
        return _percent(self.session_reused, self.session_prompt)

    def to_json(self) -> dict:
        def rounded(x: float | None) -> float | None:
            return None if x is None else round(x, 1)

        return {"turn_reused": self.turn_reused, "turn_prompt_tokens": self.turn_prompt,
                "turn_percent": rounded(self.turn_percent), "session_reused": self.session_reused,
                "session_prompt_tokens": self.session_prompt, "session_percent": rounded(self.session_percent)}


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _turns_until(mark: int, used: int, growth: float) -> int | None:
    if used >= mark:
        return 0
    if growth <= 0:
        return None
    return math.ceil((mark - used) / growth)


class TurnTrends:
    def __init__(self) -> None:
        self._growth: list[int] = []
        self._hits: list[tuple[int, int]] = []  # (reused or shifted, prompt tokens) of each turn's sync

    def record(self, before: int, after: int, reused: int, evaluated: int, grew: bool) -> None:
        """`grew`: the turn added a question and compressed nothing, so `after - before` is its growth."""
        if grew:
            self._growth.append(after - before)
        self._hits.append((reused, reused + evaluated))

    def forecast(self, used: int, effective: int, compress_at: int | None) -> Forecast | None:
        """None until one turn has been measured."""
        recent = self._growth[-GROWTH_BASIS:]
        if not recent:
            return None
        growth = sum(recent) / len(recent)
        return Forecast(
            growth_per_turn=growth, basis_turns=len(recent), used=used,
            turns_to_full=_turns_until(effective, used, growth),
            turns_to_compress=None if compress_at is None else _turns_until(compress_at, used, growth),
            compress_at=compress_at,
        )

    def cache_hits(self) -> CacheHits | None:
        if not self._hits:
            return None
        reused, prompt = self._hits[-1]
        return CacheHits(
            turn_reused=reused, turn_prompt=prompt,
            session_reused=sum(r for r, _ in self._hits), session_prompt=sum(p for _, p in self._hits),
            by_turn=tuple((i + 1, 100 * r / p if p else 0.0) for i, (r, p) in enumerate(self._hits)),
        )

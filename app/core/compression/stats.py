"""Counters of what the compressions in effect have done in a session; undoing one takes its share back."""

from __future__ import annotations

from dataclasses import asdict, dataclass

STEP_JOIN = "+"  # "hybrid+sliding": automatic compression that needed a second strategy


@dataclass(frozen=True)
class CompressionReport:
    """The last compression: what it did and what re-syncing the KV cache cost."""

    strategy: str  # the strategy that changed the history, or its steps joined by STEP_JOIN
    reason: str  # manual | proactive | emergency
    tokens_before: int
    tokens_after: int
    reused: int
    evaluated: int
    seconds: float
    shifted: int = 0  # cached tokens moved down past the dropped ones instead of evaluated again


@dataclass(frozen=True)
class Contribution:
    """What one applied compression added to the counters, and the report shown before it."""

    saved: int
    summary_tokens: int
    last_before: CompressionReport | None


@dataclass
class CompressionStats:
    compressions: int = 0
    tokens_saved: int = 0
    overflows_prevented: int = 0
    summary_tokens: int = 0
    last: CompressionReport | None = None

    def add(self, saved: int, summary_tokens: int) -> Contribution:
        contribution = Contribution(max(0, saved), summary_tokens, self.last)
        self.compressions += 1
        self.tokens_saved += contribution.saved
        self.summary_tokens += summary_tokens
        return contribution

    def take_back(self, contribution: Contribution) -> None:
        """An undone compression saved nothing: its share goes, and the report before it is the last again."""
        self.compressions -= 1
        self.tokens_saved -= contribution.saved
        self.summary_tokens -= contribution.summary_tokens
        self.last = contribution.last_before

    def to_json(self) -> dict:
        data = asdict(self)
        return data

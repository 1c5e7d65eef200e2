"""Counters of what compression has done in a session."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class CompressionReport:
    """The last compression: what it did and what re-syncing the KV cache cost."""

    strategy: str
    reason: str  # manual | proactive | emergency
    tokens_before: int
    tokens_after: int
    reused: int
    evaluated: int
    seconds: float


@dataclass
class CompressionStats:
    compressions: int = 0
    tokens_saved: int = 0
    overflows_prevented: int = 0
    summary_tokens: int = 0
    last: CompressionReport | None = None

    def to_json(self) -> dict:
        data = asdict(self)
        return data

"""What an engine hands back: a cache sync's counts, one generated token, and a finished generation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.events import StopReason


@dataclass(frozen=True)
class SyncResult:
    reused: int  # the cached prefix kept in place
    evaluated: int
    seconds: float
    cancelled: bool = False
    shifted: int = 0  # cached tokens after a dropped range, moved down instead of evaluated again
    dropped: int = 0  # cached tokens removed between the prefix and the shifted ones
    shift_note: str | None = None  # why shifting was asked for and would have kept tokens, but was not done

    @property
    def kept(self) -> int:
        return self.reused + self.shifted


@dataclass(frozen=True)
class Step:
    """One generated token, timed when it was sampled."""

    token_id: int
    text: str
    t: float


@dataclass
class GenerationResult:
    reason: StopReason = StopReason.EOG
    token_ids: list[int] = field(default_factory=list)
    text: str = ""
    parts: list[str] = field(default_factory=list)  # the text so far, while generating


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


@dataclass(frozen=True)
class BackendReport:
    """What a model server itself reported about the last request, beside what we measured."""

    prompt_tokens: int | None  # the prompt as the server counted it
    cached: int | None  # of those, taken from the slot's cache (llama-server's cache_n)
    evaluated: int | None  # read anew (prompt_n)
    generated: int | None
    prompt_per_second: float | None = None
    predicted_per_second: float | None = None
    truncated: bool = False
    malformed_lines: int = 0  # event lines skipped because they were not JSON
    slot: int | None = None
    problem: str | None = None  # why the request ended early (the server went away, or stalled)

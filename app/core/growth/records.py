"""What goes into the growth database and what comes back out of it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

SOURCE_CONTEXTWATCH = "contextwatch"
SOURCE_CLAUDE_CODE = "claude-code"

# sort name -> ORDER BY clause; every sort puts the biggest (or newest) first
SORTS: dict[str, str] = {
    "growth": "t.growth DESC",
    "growth_pct": "t.growth_pct IS NULL, t.growth_pct DESC",
    "time": "t.time DESC",
    "context_after": "t.context_after DESC",
}


def growth_percent(before: int, after: int) -> float | None:
    """Growth as a percentage of the context before the turn; None when there was none."""
    if before <= 0:
        return None
    return (after - before) * 100.0 / before


@dataclass(frozen=True)
class TurnRecord:
    """One turn as the session measured it; the store works out growth and growth %."""

    prompt: str
    time: float
    model: str
    n_ctx: int
    input_tokens: int
    output_tokens: int
    context_before: int
    context_after: int
    reused: int = 0
    evaluated: int = 0
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    compression: str | None = None
    shifted: int = 0  # cached tokens moved down past dropped ones at the turn's sync
    context_shifts: int = 0  # times the reply made room in a full context (on_full shift or compress)


@dataclass(frozen=True)
class ImportedTurn:
    """One usage entry read from another tool's log; context before is worked out per session."""

    prompt: str
    time: float
    model: str
    input_tokens: int
    output_tokens: int
    context_after: int
    reused: int
    evaluated: int
    source_file: str
    source_line: int
    source_uuid: str | None


@dataclass(frozen=True)
class ImportedSession:
    external_id: str
    model: str
    turns: tuple[ImportedTurn, ...]


@dataclass(frozen=True)
class GrowthRow:
    turn_id: int
    session_id: int
    source: str
    turn_index: int
    prompt: str
    time: float
    model: str
    n_ctx: int
    input_tokens: int
    output_tokens: int
    context_before: int
    context_after: int
    growth: int
    growth_pct: float | None
    reused: int
    evaluated: int
    ttft_ms: float | None
    tokens_per_s: float | None
    compression: str | None
    shifted: int
    context_shifts: int

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SessionStats:
    session_id: int | None
    turns: int
    average_growth: float | None
    largest_growth: int | None
    total_growth: int
    peak_context: int | None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SessionInfo:
    id: int
    source: str
    external_id: str | None
    model: str
    n_ctx: int
    started: float
    turns: int
    peak_context: int | None

    def to_dict(self) -> dict:
        return asdict(self)

"""Typed events the engine thread emits; every one carries a perf_counter timestamp `t`.

The UI never calls into the engine for numbers: it renders what these events carry.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.core.compression.stats import CompressionStats
    from app.core.engine.capabilities import BackendInfo
    from app.core.engine.results import BackendReport
    from app.core.telemetry.chart_series import ChartSeries
    from app.core.telemetry.kv_cache import KVCacheInfo
    from app.core.telemetry.latency import LatencyStats
    from app.core.telemetry.memory import MemoryLevel, MemorySnapshot
    from app.core.telemetry.turn_trends import CacheHits, Forecast
    from app.core.telemetry.usage import ContextUsage


def now() -> float:
    return time.perf_counter()


class StopReason(str, enum.Enum):
    EOG = "end_of_generation"
    MAX_TOKENS = "max_tokens"
    CONTEXT_FULL = "context_full"
    CANCELLED = "cancelled"
    SERVER_LOST = "server_lost"  # a model server went away mid-reply: the partial reply is kept


@dataclass(frozen=True)
class LoadProgress:
    stage: str
    fraction: float
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ModelLoaded:
    info: object  # app.core.engine.model_info.ModelInfo
    n_ctx: int
    load_seconds: float
    warnings: tuple[str, ...] = ()
    backend: BackendInfo | None = None  # where the model runs, and what it cannot show
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class SyncDone:
    """The KV cache now holds the prompt: `reused` tokens kept, `shifted` moved down past `dropped` ones, `evaluated` computed.

    `shift_note` says why shifting was asked for and would have kept tokens, but was not done.
    """

    reused: int
    evaluated: int
    seconds: float
    shifted: int = 0
    dropped: int = 0
    shift_note: str | None = None
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ContextShifted:
    """A reply filled the context and went on: after `at_token` reply tokens, `dropped` cached tokens went.

    `how` is "shift" or "compress"; `first_at`, `times` and `total_dropped` count this reply's shifts so far.
    """

    at_token: int
    dropped: int
    how: str
    first_at: int = 0
    times: int = 1
    total_dropped: int = 0
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class PrefillProgress:
    """`done` of `total` tokens evaluated; `after` names what made a turn read them again ("emergency compression")."""

    done: int
    total: int
    after: str = ""
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class CountProgress:
    """`done` of `total` messages of a long history given their token costs, before anything is evaluated."""

    done: int
    total: int
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class CompressionStarted:
    """A turn compresses the history before its prompt ("emergency" or "proactive"), with `strategy` first."""

    reason: str
    strategy: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class TokenEvent:
    token_id: int
    text: str
    index: int
    latency_s: float
    n_tokens: int
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class GenerationDone:
    reason: StopReason
    n_generated: int
    text: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class DashboardUpdate:
    """A full, immutable picture of every live number; the UI renders the newest one."""

    usage: ContextUsage
    latency: LatencyStats
    memory: MemorySnapshot
    kv: KVCacheInfo
    compression: CompressionStats | None = None
    charts: ChartSeries | None = None
    forecast: Forecast | None = None  # turns until the budget is full, once a turn has been measured
    cache_hits: CacheHits | None = None
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ThresholdCrossed:
    percent: float
    threshold: float
    rising: bool
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class MemoryLevelChanged:
    old: MemoryLevel
    new: MemoryLevel
    percent: float
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class Notice:
    """Something the user should read once: a warning, a fallback, a result."""

    message: str
    severity: str = "information"  # information | warning | error
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class HistoryChanged:
    """The conversation changed (message appended, edited, deleted, pinned, compressed)."""

    messages: tuple = ()  # the whole conversation as it is now: frozen Message objects
    checkpoints: tuple = ()  # the compressions that can be undone, oldest first: frozen Checkpoint objects
    can_undo_delete: bool = False  # a deleted message can be brought back
    kept_in: Path | None = None  # the folder of the conversation store that keeps this session's conversations
    conversation_id: str | None = None  # the kept conversation this is, once it has been written
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class GrowthOpened:
    """This session's turns are recorded as `session_id` in the growth database at `path`."""

    path: Path
    session_id: int
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class TurnFinished:
    reason: StopReason
    prompt_tokens: int
    generated_tokens: int
    reused: int
    evaluated: int
    ttft_s: float | None
    decode_tps: float | None
    shifted: int = 0
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class EngineError:
    message: str
    t: float = field(default_factory=now)


@dataclass
class ServerStatus:
    """A model server's state, polled beside the stream: None where the server does not say."""

    online: bool
    problem: str | None = None
    total_slots: int | None = None
    slots_busy: int | None = None
    requests_processing: int | None = None
    requests_deferred: int | None = None
    generated_total: int | None = None  # tokens the server generated for every client since it started
    decode_tps: float | None = None  # tokens it decoded per second since the poll before, all slots
    n_tokens_max: int | None = None
    prompt_tokens_total: int | None = None
    cached_tokens_total: int | None = None
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class BackendReported:
    """After a turn on a server: what the server counted beside what we counted, and any disagreement."""

    report: BackendReport
    our_prompt_tokens: int
    n_ctx: int
    alerts: tuple[str, ...] = ()
    t: float = field(default_factory=now)


EventSink = Callable[[object], None]


def discard(_event: object) -> None:
    """An EventSink that drops everything."""

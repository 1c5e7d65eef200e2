"""The dashboard's numbers, assembled from the session's trackers in one event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.core import events as ev
from app.core.compression.stats import CompressionStats
from app.core.conversations.autosave import Autosave
from app.core.conversations.conversation import Conversation, Message
from app.core.telemetry.chart_series import ChartSeries
from app.core.telemetry.kv_cache import KVCacheModel
from app.core.telemetry.latency import LatencyTracker
from app.core.telemetry.memory import MemoryMonitor
from app.core.telemetry.turn_trends import TurnTrends
from app.core.telemetry.usage import BudgetBreakdown, UsageTracker


def dashboard_update(usage: UsageTracker, latency: LatencyTracker, memory: MemoryMonitor, kv: KVCacheModel,
                     cached_tokens: int, stats: CompressionStats,
                     context_by_turn: Sequence[tuple[int, int]], trends: TurnTrends,
                     compress_trigger: float | None) -> ev.DashboardUpdate:
    """`compress_trigger` is the auto-compression trigger in percent of the effective budget, None when off."""
    now = usage.snapshot()
    compress_at = None if compress_trigger is None else int(now.effective * compress_trigger / 100)
    hits = trends.cache_hits()
    return ev.DashboardUpdate(
        usage=now,
        latency=latency.snapshot(),
        memory=memory.latest(),
        kv=kv.info(cached_tokens),  # what the cache holds, not what the prompt will need
        compression=replace(stats),
        charts=ChartSeries(tuple(latency.turn_latencies_ms()), tuple(memory.rss_history()), tuple(context_by_turn),
                           hits.by_turn if hits is not None else ()),
        forecast=trends.forecast(now.used, now.effective, compress_at),
        cache_hits=hits,
    )


def history_event(conversation: Conversation, can_undo_delete: bool, keeper: Autosave | None) -> ev.HistoryChanged:
    return ev.HistoryChanged(tuple(conversation.messages), tuple(conversation.checkpoints), can_undo_delete,
                             kept_in=keeper.store.folder if keeper is not None else None,
                             conversation_id=keeper.current_id if keeper is not None else None)


def budget_breakdown(messages: Sequence[Message], prompt_len: int) -> BudgetBreakdown:
    """The prompt's tokens by role; what no message accounts for is the reply's header."""
    parts = {"system": 0, "summaries": 0, "user": 0, "assistant": 0}
    for m in messages:
        key = "summaries" if m.summary else m.role
        parts[key] += m.tokens
    parts["assistant"] += max(0, prompt_len - sum(parts.values()))  # the reply's header
    return BudgetBreakdown(**parts)

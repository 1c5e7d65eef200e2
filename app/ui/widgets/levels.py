"""Theme colours for context and memory levels, shared by the panels, badges and banner."""

from __future__ import annotations

from app.core.telemetry.memory import MemoryLevel
from app.core.telemetry.usage import ContextUsage, FillState

MEMORY_STYLES = {
    MemoryLevel.NORMAL: "$success",
    MemoryLevel.WARNING: "$warning",
    MemoryLevel.CRITICAL: "$error",
    MemoryLevel.EMERGENCY: "$error",
}

NOTIFY_SEVERITY = {
    MemoryLevel.NORMAL: "information",
    MemoryLevel.WARNING: "warning",
    MemoryLevel.CRITICAL: "error",
    MemoryLevel.EMERGENCY: "error",
}


def context_style(usage: ContextUsage) -> str:
    """Green under the threshold, amber over it, red once the reply eats into the reserve."""
    if usage.available == 0:
        return "$error"
    if usage.over_threshold:
        return "$warning"
    return "$success"


def context_state(usage: ContextUsage) -> str:
    """The gauge's badge: what the fill means, in words."""
    state = usage.fill_state
    if state is FillState.OVER_THRESHOLD:
        return f"past {usage.threshold:g}% warning"
    return {FillState.OVERFLOW: "OVERFLOW", FillState.FULL: "FULL", FillState.RESERVE: "using the reserve"}.get(state, "OK")

"""Theme colours for context and memory levels, shared by the panels, badges and banner."""

from __future__ import annotations

from app.core.telemetry.memory import MemoryLevel
from app.core.telemetry.usage import ContextUsage

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
    if usage.overflow:
        return "OVERFLOW"
    if usage.used >= usage.n_ctx:
        return "FULL"
    if usage.available == 0:
        return "using the reserve"
    if usage.over_threshold:
        return f"past {usage.threshold:g}% warning"
    return "OK"

"""The words and severity of each alert: one notification per threshold or level crossing."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.events import GenerationDone, MemoryLevelChanged, StopReason, ThresholdCrossed
from app.ui.widgets.levels import NOTIFY_SEVERITY


@dataclass(frozen=True)
class Alert:
    title: str
    message: str
    severity: str


def threshold_alert(event: ThresholdCrossed) -> Alert:
    if event.rising:
        return Alert(
            "Context threshold",
            f"Context at {event.percent:.1f}% of the effective budget, over the {event.threshold:g}% threshold.",
            "warning",
        )
    return Alert(
        "Context threshold",
        f"Context back under {event.threshold:g}% ({event.percent:.1f}%).",
        "information",
    )


def memory_alert(event: MemoryLevelChanged) -> Alert:
    direction = "rose" if event.new.rank > event.old.rank else "fell"
    return Alert(
        "Memory",
        f"Memory level {direction} to {event.new.value.upper()} ({event.percent:.1f}% used, was {event.old.value.upper()}).",
        NOTIFY_SEVERITY[event.new],
    )


STOP_NOTES = {
    StopReason.EOG: "done",
    StopReason.MAX_TOKENS: "stopped at max tokens",
    StopReason.CONTEXT_FULL: "stopped: context full",
    StopReason.CANCELLED: "cancelled",
    StopReason.SERVER_LOST: "cut off: the server went away",
}


def stop_note(event: GenerationDone) -> str:
    return STOP_NOTES.get(event.reason, event.reason.value)

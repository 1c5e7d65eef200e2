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


def box_note(reason: StopReason, n_generated: int) -> str:
    """How a reply stopped, as its box says it: "cancelled at 42 tokens", "done"."""
    if reason is StopReason.CANCELLED:
        return f"cancelled at {n_generated:,} token{'s' if n_generated != 1 else ''}"
    return STOP_NOTES.get(reason, reason.value)


SHIFT_WORDS = {"shift": "context shifted", "compress": "context compressed"}


def shift_mark(at_token: int, dropped: int, how: str, times: int = 1) -> str:
    """Where a reply that filled the context made room and went on: "⇤ context shifted at token 472 · 250 dropped"."""
    again = f" · {times} times" if times > 1 else ""
    return f"⇤ {SHIFT_WORDS.get(how, how)} at token {at_token:,} · {dropped:,} dropped{again}"


def reply_shift_mark(metrics: dict | None) -> str:
    """The shift mark of a kept reply from its metrics; "" for a reply that never filled the context."""
    metrics = metrics or {}
    at, dropped, times = metrics.get("shifted_at"), metrics.get("shift_dropped"), metrics.get("context_shifts")
    if not (isinstance(at, int) and isinstance(dropped, int) and isinstance(times, int) and times > 0):
        return ""
    return shift_mark(at, dropped, str(metrics.get("on_full", "shift")), times)


def reply_note(metrics: dict | None) -> str:
    """What a kept reply's box says about how it stopped; "" for a reply that ended by itself."""
    metrics = metrics or {}
    if metrics.get("cut_off") == "crash":
        return "cut off: the app closed"
    try:
        reason = StopReason(metrics.get("stop_reason"))
    except ValueError:
        return ""
    if reason is StopReason.EOG:
        return ""
    n = metrics.get("generated_tokens")
    return box_note(reason, n) if isinstance(n, int) else STOP_NOTES.get(reason, reason.value)


def tokens_note(tokens: int | None, mark: str = "") -> str:
    """A reply box's bottom border: where the context shifted, if it did, and the reply's length."""
    count = f"{tokens:,} token{'s' if tokens != 1 else ''}" if isinstance(tokens, int) else ""
    return " · ".join(part for part in (mark, count) if part)

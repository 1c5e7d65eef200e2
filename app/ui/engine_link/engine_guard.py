"""One check before a command that needs the model to itself: loaded, and nothing else queued."""

from __future__ import annotations

from typing import Any


def engine_idle(app: Any, what: str) -> bool:
    """True when `app`'s engine thread can take the command now; else a notification says why not."""
    if app.load_failed is not None:
        app.notify(f"The model did not load, so {what} is not possible.", severity="error")
        return False
    if not app.loaded:
        app.notify(f"Wait for the model to load before {what}.", severity="warning")
        return False
    if app.turn_pending or app.pending_commands:
        app.notify(f"The engine is busy: wait for it, or press Esc to cancel a reply, before {what}.",
                   severity="warning")
        return False
    return True

"""One check before a command that needs the model to itself: loaded, and nothing else queued."""

from __future__ import annotations

from typing import Any


def engine_idle(app: Any, what: str) -> bool:
    """True when the engine state says the command can go now; else a notification says why not."""
    state = app.engine_state
    if state.load_failed is not None:
        app.notify(f"The model did not load, so {what} is not possible.", severity="error")
        return False
    if not state.loaded:
        app.notify(f"Wait for the model to load before {what}.", severity="warning")
        return False
    if not state.idle:
        app.notify(f"The engine is busy: wait for it, or press Esc to cancel a reply, before {what}.",
                   severity="warning")
        return False
    return True

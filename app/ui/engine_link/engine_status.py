"""The words of the status line for what the engine thread is doing, has done, or has queued.

"ready" is shown only when nothing is running and nothing is queued; everything else says
which command is at work and how far it has got, read from the `EngineState`.
"""

from __future__ import annotations

from app.core.session.engine_state import EngineState


def progress_status(state: EngineState) -> str:
    """How far the running command has got: tokens read, messages counted, or sweep stages done."""
    p = state.progress
    if p.unit == "messages":
        return f"{state.label or 'the engine'} · counting the conversation's tokens · {p.done:,} / {p.total:,} messages"
    if p.unit == "tokens":
        progress = f"{p.done:,} / {p.total:,} tokens"
        if state.generating and not p.what:
            return f"reading the prompt · {progress}"
        return f"{p.what or state.label or 'the engine'} · re-reading the conversation · {progress}"
    return f"{state.label or 'the engine'} · {p.done}/{p.total} · {p.what}"


def loaded_status(state: EngineState) -> str:
    """The model is in memory but the command that loaded it is still at work."""
    return f"{state.label or 'load'}: model loaded at n_ctx {state.n_ctx:,} · working…"


def queued_status(note: str | None, pending: int) -> str:
    queued = f"{pending:,} command{'s' if pending != 1 else ''} queued"
    return f"{note} · {queued}" if note else queued


def compression_status(reason: str, strategy: str, summarizes: bool) -> str:
    """A turn compressing its history before the prompt is read."""
    writes = ": the model writes a summary" if summarizes else ""
    return f"{reason} compression with {strategy}{writes}… · Esc cancels"

"""The words of the status line for what the engine thread is doing, has done, or has queued.

"ready" is shown only when nothing is running and nothing is queued; everything else says
which command is at work and how far it has got.
"""

from __future__ import annotations

TURN_COMMANDS = ("submit", "regenerate")


def prefill_status(command: str | None, after: str, done: int, total: int) -> str:
    """A new prompt being read, or a conversation read again after a reload, a resume or a compression."""
    progress = f"{done:,} / {total:,} tokens"
    if command in TURN_COMMANDS and not after:
        return f"reading the prompt · {progress}"
    return f"{after or command or 'the engine'} · re-reading the conversation · {progress}"


def count_status(command: str | None, done: int, total: int) -> str:
    """A long history being given its token costs, before the engine reads it."""
    return f"{command or 'the engine'} · counting the conversation's tokens · {done:,} / {total:,} messages"


def loaded_status(command: str | None, n_ctx: int) -> str:
    """The model is in memory but the command that loaded it is still at work."""
    return f"{command or 'load'}: model loaded at n_ctx {n_ctx:,} · working…"


def queued_status(note: str | None, pending: int) -> str:
    queued = f"{pending:,} command{'s' if pending != 1 else ''} queued"
    return f"{note} · {queued}" if note else queued


def compression_status(reason: str, strategy: str, summarizes: bool) -> str:
    """A turn compressing its history before the prompt is read."""
    writes = ": the model writes a summary" if summarizes else ""
    return f"{reason} compression with {strategy}{writes}… · Esc cancels"

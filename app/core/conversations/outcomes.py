"""What opening or resuming a conversation did, as the session returns it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConversationOpened:
    id: str
    title: str
    messages: int


@dataclass(frozen=True)
class ConversationResumed:
    """An autosaved session continued: `messages` it holds, its system prompt not counted."""

    messages: int

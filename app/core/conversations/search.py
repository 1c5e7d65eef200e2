"""Finding text in the conversation: every case-insensitive match, in reading order.

A match is a message's index and the span of characters it covers in that message's
text, so the UI can mark the message and highlight exactly what was found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.conversations.conversation import Message


@dataclass(frozen=True)
class Match:
    message: int  # index in the conversation
    start: int
    end: int


@dataclass(frozen=True)
class SearchResult:
    query: str
    matches: tuple[Match, ...]

    def __len__(self) -> int:
        return len(self.matches)

    def position(self, current: int) -> str:
        """'3 of 7', 'no matches', or '' for an empty query."""
        if not self.query:
            return ""
        if not self.matches:
            return "no matches"
        return f"{current + 1:,} of {len(self.matches):,}"

    def matches_in(self, message: int) -> list[Match]:
        return [m for m in self.matches if m.message == message]


def find(messages: Sequence[Message], query: str) -> SearchResult:
    """Every occurrence of `query` in `messages`, ignoring case; overlapping ones are not counted twice."""
    if not query:
        return SearchResult(query, ())
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    matches = tuple(
        Match(index, found.start(), found.end())
        for index, message in enumerate(messages)
        for found in pattern.finditer(message.content)
    )
    return SearchResult(query, matches)


def step(current: int | None, count: int, forward: bool) -> int | None:
    """The next (or previous) match index, wrapping round; None when there is nothing to go to."""
    if count == 0:
        return None
    if current is None:
        return 0 if forward else count - 1
    return (current + (1 if forward else -1)) % count

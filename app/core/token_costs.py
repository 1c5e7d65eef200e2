"""Exact per-message token costs: what each message adds to the rendered prompt."""

from __future__ import annotations

from typing import Sequence

from app.core.conversation import Message


class MessageCosts:
    """Counts prompt tokens of growing prefixes of the history, re-rendering only after a change."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self._keys: list[tuple[str, str]] = []
        self._cumulative: list[int] = []

    def counts(self, messages: Sequence[Message]) -> list[int]:
        keys = [(m.role, m.content) for m in messages]
        same = 0
        limit = min(len(keys), len(self._keys))
        while same < limit and keys[same] == self._keys[same]:
            same += 1
        cumulative = self._cumulative[:same]
        chat = [m.as_chat() for m in messages]
        for i in range(same, len(chat)):
            cumulative.append(self._prefix_tokens(chat[: i + 1], cumulative))
        self._keys, self._cumulative = keys, cumulative
        return [c - (cumulative[i - 1] if i else 0) for i, c in enumerate(cumulative)]

    def _prefix_tokens(self, chat: list[dict], cumulative: list[int]) -> int:
        try:
            return len(self._engine.prompt_ids(chat, add_generation_prompt=False))
        except Exception:  # a template that refuses a partial history: fall back to the content
            before = cumulative[-1] if cumulative else 0
            return before + self._engine.count_tokens(chat[-1]["content"])

"""The prompt's token ids and what each message adds to them, re-tokenizing only what changed.

A chat template ends every message where the next one starts with a special token such as
`<|im_start|>`. llama.cpp splits text at special tokens before anything else, so the tokens
of "history + next message" are the history's tokens followed by those of the new part, and
a turn tokenizes its new message instead of the whole prompt. Where the new part does not
start with a special token, that prefix is tokenized whole, as it would be without this.
"""

from __future__ import annotations

from typing import Sequence

from app.core.conversation import Message


class PromptTokens:
    def __init__(self, engine) -> None:
        self._engine = engine
        self._keys: list[tuple[str, str]] = []
        self._cumulative: list[int] = []  # tokens of the history up to and including message i
        self._text = ""  # the rendered history, without the reply's header
        self._ids: list[int] = []  # the tokens of `_text`

    def build(self, messages: Sequence[Message], add_generation_prompt: bool) -> tuple[list[int], list[int]]:
        """The prompt's token ids, and the tokens each message adds to it."""
        chat = [m.as_chat() for m in messages]
        try:
            self._extend([(m.role, m.content) for m in messages], chat)
        except Exception:  # a template that refuses a partial history
            self._keys, self._cumulative, self._text, self._ids = [], [], "", []
            return self._engine.prompt_ids(chat, add_generation_prompt), self._counts_one_by_one(chat)
        counts = [c - (self._cumulative[i - 1] if i else 0) for i, c in enumerate(self._cumulative)]
        if not add_generation_prompt:
            return list(self._ids), counts
        text = self._engine.render(chat, add_generation_prompt=True)
        ids = self._following(text) or self._engine.rendered_ids(text)
        return ids, counts

    def _extend(self, keys: list[tuple[str, str]], chat: list[dict]) -> None:
        same = 0
        limit = min(len(keys), len(self._keys))
        while same < limit and keys[same] == self._keys[same]:
            same += 1
        if same < len(self._keys):  # an edit, a deletion or a compression: start again from there
            self._keys, self._cumulative = self._keys[:same], self._cumulative[:same]
            self._text = self._engine.render(chat[:same], add_generation_prompt=False) if same else ""
            self._ids = self._engine.rendered_ids(self._text) if same else []
        for i in range(same, len(chat)):
            text = self._engine.render(chat[: i + 1], add_generation_prompt=False)
            ids = self._following(text) if i else None
            if ids is None:
                ids = self._engine.rendered_ids(text)
            self._keys.append(keys[i])
            self._cumulative.append(len(ids))
            self._text, self._ids = text, ids

    def _following(self, text: str) -> list[int] | None:
        """The tokens of `text` as those of the history plus those of what it adds, when that is exact."""
        if not text.startswith(self._text):
            return None
        added = text[len(self._text) :]
        if not added:
            return list(self._ids)
        ids = self._engine.tokenize(added)
        if not self._engine.starts_with_special(ids, added):
            return None
        return self._ids + ids

    def _counts_one_by_one(self, chat: list[dict]) -> list[int]:
        counts: list[int] = []
        total = 0
        for i, message in enumerate(chat):
            try:
                now = len(self._engine.prompt_ids(chat[: i + 1], add_generation_prompt=False))
            except Exception:
                now = total + self._engine.count_tokens(message["content"])
            counts.append(now - total)
            total = now
        return counts

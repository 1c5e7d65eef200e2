"""The prompt's token ids and what each message adds to them, in work that grows with the history.

A chat template ends every message where the next one starts with a special token such as
`<|im_start|>`. llama.cpp splits text at special tokens before anything else, so the tokens
of "history + next message" are the history's tokens followed by those of the new part, and
a turn tokenizes its new message instead of the whole prompt.

Each new message's part is rendered on its own, after the first message and the one or two
before it (so the template sees the same neighbours, the same first message and the same
parity of position), and tokenized on its own: a few small renders per message instead of the
whole prefix again. The parts are used only when they add up to the conversation rendered at
once and a few of the boundaries they give match the prefix rendered whole; otherwise, and where
a part does not start with a special token, every prefix is rendered and tokenized whole.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.conversations.conversation import Message

ProgressFn = Callable[[int, int], None]  # (messages counted, messages to count)


def _silent(done: int, total: int) -> None:
    pass


class PromptTokens:
    def __init__(self, engine) -> None:
        self._engine = engine
        self._keys: list[tuple[str, str]] = []
        self._ends: list[int] = []  # where message i ends in `_text`
        self._cumulative: list[int] = []  # tokens of the history up to and including message i
        self._text = ""  # the rendered history, without the reply's header
        self._ids: list[int] = []  # the tokens of `_text`

    def build(self, messages: Sequence[Message], add_generation_prompt: bool,
              progress: ProgressFn | None = None) -> tuple[list[int], list[int]]:
        """The prompt's token ids, and the tokens each message adds to it."""
        report = progress or _silent
        chat = [m.as_chat() for m in messages]
        try:
            self._extend([(m.role, m.content) for m in messages], chat, report)
        except Exception:  # a template that refuses a partial history
            self._forget()
            return self._engine.prompt_ids(chat, add_generation_prompt), self._counts_one_by_one(chat, report)
        counts = [c - (self._cumulative[i - 1] if i else 0) for i, c in enumerate(self._cumulative)]
        if not add_generation_prompt:
            return list(self._ids), counts
        text = self._engine.render(chat, add_generation_prompt=True)
        ids = self._following(text) or self._engine.rendered_ids(text)
        return ids, counts

    def _forget(self) -> None:
        self._keys, self._ends, self._cumulative, self._text, self._ids = [], [], [], "", []

    def _extend(self, keys: list[tuple[str, str]], chat: list[dict], report: ProgressFn) -> None:
        same = 0
        limit = min(len(keys), len(self._keys))
        while same < limit and keys[same] == self._keys[same]:
            same += 1
        if same < len(self._keys):  # an edit, a deletion or a compression: start again from there
            self._cut(same, chat)
        if len(self._keys) < len(chat) and not self._extend_by_parts(keys, chat, report):
            self._extend_by_prefixes(keys, chat, report)

    def _cut(self, keep: int, chat: list[dict]) -> None:
        """Keep the first `keep` messages, when their render is still the start of what was rendered."""
        if keep:
            text = self._engine.render(chat[:keep], add_generation_prompt=False)
            if text == self._text[: self._ends[keep - 1]]:
                self._keys, self._ends = self._keys[:keep], self._ends[:keep]
                self._cumulative = self._cumulative[:keep]
                self._text, self._ids = text, self._ids[: self._cumulative[-1]]
                return
        self._forget()

    def _extend_by_parts(self, keys: list[tuple[str, str]], chat: list[dict], report: ProgressFn) -> bool:
        """Count the new messages from parts rendered on their own; False when the parts are not exact."""
        engine = self._engine
        start, n = len(self._keys), len(chat)
        whole = engine.render(chat, add_generation_prompt=False)
        if not whole.startswith(self._text):
            return False
        pos = len(self._text)
        ids = list(self._ids)
        ends: list[int] = []
        cumulative: list[int] = []
        for i in range(start, n):
            part = self._part(chat, i)
            if part is None or not whole.startswith(part, pos):
                return False
            if i == 0:
                part_ids = engine.rendered_ids(part)
            else:
                part_ids = engine.tokenize(part)
                if part and not engine.starts_with_special(part_ids, part):
                    return False
            pos += len(part)
            ids.extend(part_ids)
            ends.append(pos)
            cumulative.append(len(ids))
            report(i + 1 - start, n - start)
        if pos != len(whole):
            return False
        for i in {(start + n) // 2, n - 2}:
            if start <= i < n - 1 and i > 3:  # parts 0 to 3 are rendered after the whole prefix already
                if engine.render(chat[: i + 1], add_generation_prompt=False) != whole[: ends[i - start]]:
                    return False
        self._keys += keys[start:]
        self._ends += ends
        self._cumulative += cumulative
        self._text, self._ids = whole, ids
        return True

    def _part(self, chat: list[dict], i: int) -> str | None:
        """What message `i` adds, rendered after the first message and the one or two before it.

        The context starts at an odd position, so message `i` lands at a position of its own
        parity: templates that check turns alternate see the turns they would see in place.
        """
        if i == 0:
            return self._engine.render(chat[:1], add_generation_prompt=False)
        first = max(1, i - 1 if (i - 1) % 2 else i - 2)
        context = chat[:1] + chat[first:i]
        before = self._engine.render(context, add_generation_prompt=False)
        after = self._engine.render(context + [chat[i]], add_generation_prompt=False)
        return after[len(before):] if after.startswith(before) else None

    def _extend_by_prefixes(self, keys: list[tuple[str, str]], chat: list[dict], report: ProgressFn) -> None:
        """Render every prefix whole: exact for any template, and work that grows with the square of the count."""
        start = len(self._keys)
        for i in range(start, len(chat)):
            text = self._engine.render(chat[: i + 1], add_generation_prompt=False)
            ids = self._following(text) if i else None
            if ids is None:
                ids = self._engine.rendered_ids(text)
            self._keys.append(keys[i])
            self._ends.append(len(text))
            self._cumulative.append(len(ids))
            self._text, self._ids = text, ids
            report(i + 1 - start, len(chat) - start)

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

    def _counts_one_by_one(self, chat: list[dict], report: ProgressFn) -> list[int]:
        counts: list[int] = []
        total = 0
        for i, message in enumerate(chat):
            try:
                now = len(self._engine.prompt_ids(chat[: i + 1], add_generation_prompt=False))
            except Exception:
                now = total + self._engine.count_tokens(message["content"])
            counts.append(now - total)
            total = now
            report(i + 1, len(chat))
        return counts

"""A tokenizer with one token per whitespace-separated word, behind the engine's tokenizing methods.

`WordEngine` answers what core code asks an engine for when it counts tokens (tokenize,
detokenize, count_tokens, render, prompt_ids, rendered_ids, starts_with_special), so core's
own `Tokenizer` and `PromptTokens` run on it unchanged. Its chat template writes each message
as `<|role|> words <|end|>`: two template tokens a message, plus `<|assistant|>` when a reply is
to follow. Counts are easy to work out by hand, and no model is loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from app.core.compression.plan import Tokenizer
from app.core.conversations.conversation import Message
from app.core.engine.prompt_tokens import PromptTokens

END = "<|end|>"
SPECIAL = ("<|system|>", "<|user|>", "<|assistant|>", END)
TEMPLATE_TOKENS = 2  # what the template adds to each message


class WordEngine:
    def __init__(self, n_ctx: int = 4096) -> None:
        self.n_ctx = n_ctx
        self._ids: dict[str, int] = {word: i for i, word in enumerate(SPECIAL)}
        self._words: list[str] = list(SPECIAL)

    def _id(self, word: str) -> int:
        if word not in self._ids:
            self._ids[word] = len(self._words)
            self._words.append(word)
        return self._ids[word]

    def tokenize(self, text: str, add_bos: bool = False, special: bool = True) -> list[int]:
        return [self._id(word) for word in text.split()]

    def detokenize(self, ids: Sequence[int]) -> str:
        return " ".join(self._words[i] for i in ids)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text, special=False))

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        text = "".join(f"<|{m['role']}|> {m['content']} {END}\n" for m in messages)
        return text + ("<|assistant|>" if add_generation_prompt else "")

    def rendered_ids(self, text: str) -> list[int]:
        return self.tokenize(text)

    def prompt_ids(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> list[int]:
        return self.rendered_ids(self.render(messages, add_generation_prompt))

    def starts_with_special(self, ids: Sequence[int], text: str) -> bool:
        return bool(ids) and ids[0] < len(SPECIAL) and text.startswith(SPECIAL[ids[0]])


def word_tokenizer(engine: WordEngine | None = None) -> Tokenizer:
    """What the compression strategies take, counting words."""
    return Tokenizer(engine or WordEngine())


def counted(messages: Sequence[Message], engine: WordEngine | None = None) -> list[Message]:
    """`messages` with each one's `tokens` set to its share of the rendered prompt, as a session sets it."""
    _, counts = PromptTokens(engine or WordEngine()).build(messages, add_generation_prompt=False)
    return [replace(m, tokens=n) for m, n in zip(messages, counts)]


def words(n: int, stem: str = "w") -> str:
    """`n` distinct words: `w0 w1 ... w{n-1}`."""
    return " ".join(f"{stem}{i}" for i in range(n))


def history(system: str | None, *turns: str, pinned: Sequence[int] = ()) -> list[Message]:
    """A counted history: the system prompt (when given), then `turns` as user and assistant in turn.

    `pinned` holds positions in the returned list.
    """
    messages = [Message("system", system)] if system is not None else []
    messages += [Message(("user", "assistant")[i % 2], text) for i, text in enumerate(turns)]
    messages = [replace(m, pinned=True) if i in pinned else m for i, m in enumerate(messages)]
    return counted(messages)

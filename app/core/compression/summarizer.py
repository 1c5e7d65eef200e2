"""Summaries written by the loaded model, chunked and then summarized again when the text is too long.

An earlier summary among the messages is read as part of the conversation, so the new
summary covers both.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from app.core.compression.plan import Tokenizer
from app.core.compression.summary_chunks import chunks
from app.core.compression.summary_text import finished_sentences, transcript, without_markers
from app.core.conversations.conversation import Message
from app.core.engine.results import GenerationResult
from app.core.engine.sampling import SamplingParams
from app.core.errors import Cancelled, ContextFullError
from app.core.events import StopReason

INSTRUCTION = (
    "Summarize the conversation below in a few sentences. Keep names, numbers, decisions and "
    "open questions; when it starts with a summary so far, fold that in. Write only the summary.\n\n"
)
MAX_SUMMARY_TOKENS = 128
MAX_LEVELS = 4


class ModelSummarizer:
    """Callable as a `compression.Summarizer`; runs in the engine thread."""

    def __init__(self, engine, cancel: threading.Event | None = None, max_tokens: int = MAX_SUMMARY_TOKENS) -> None:
        self.engine = engine
        self.tok = Tokenizer(engine)
        self.cancel = cancel
        self.params = SamplingParams(temperature=0.0, repeat_penalty=1.1, max_tokens=max_tokens)
        self.spent = 0
        self.calls = 0

    def __call__(self, prefix: Sequence[Message], old: Sequence[Message]) -> tuple[str, int]:
        self.spent = 0
        self.calls = 0
        text = transcript(old)
        for _ in range(MAX_LEVELS):
            parts = self._chunks(prefix, text)
            summaries = [self._summarize_once(prefix, part) for part in parts]
            text = "\n\n".join(s for s in summaries if s)
            if len(parts) == 1:
                return text, self.spent
        return text, self.spent

    def _room(self, prefix: Sequence[Message]) -> int:
        """Transcript tokens that fit beside the prefix, the instruction and the summary itself."""
        frame = self.engine.prompt_ids([m.as_chat() for m in prefix] + [{"role": "user", "content": INSTRUCTION}])
        room = self.engine.n_ctx - len(frame) - self.params.max_tokens - 8
        if room < 32:
            raise ContextFullError("the context is too small to summarize anything: no room beside the system prompt")
        return room

    def _chunks(self, prefix: Sequence[Message], text: str) -> list[str]:
        return chunks(self.tok, text, self._room(prefix))

    def _summarize_once(self, prefix: Sequence[Message], text: str) -> str:
        chat = [m.as_chat() for m in prefix] + [{"role": "user", "content": INSTRUCTION + text}]
        ids = self.engine.prompt_ids(chat)
        sync = self.engine.sync(ids, self.cancel)
        result = GenerationResult()
        if not sync.cancelled:
            for _ in self.engine.generate(self.params, self.cancel, result):
                pass
        if sync.cancelled or result.reason is StopReason.CANCELLED:
            raise Cancelled("the summary was cancelled before it was finished: the history is unchanged")
        self.spent += sync.evaluated + len(result.token_ids)
        self.calls += 1
        text = result.text if result.reason is not StopReason.MAX_TOKENS else finished_sentences(result.text)
        return without_markers(text)

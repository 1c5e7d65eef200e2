"""Summaries written by the loaded model, chunked and then summarized again when the text is too long."""

from __future__ import annotations

import threading
from typing import Sequence

from app.core.compression import MIDDLE_MARKER, Tokenizer, cut_text, transcript
from app.core.conversation import Message
from app.core.engine import GenerationResult
from app.core.errors import Cancelled, ContextFullError
from app.core.events import StopReason
from app.core.sampling import SamplingParams

INSTRUCTION = (
    "Summarize the conversation below in a few sentences. Keep names, numbers, decisions and "
    "open questions. Write only the summary.\n\n"
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
            chunks = self._chunks(prefix, text)
            summaries = [self._summarize_once(prefix, chunk) for chunk in chunks]
            text = "\n\n".join(s for s in summaries if s)
            if len(chunks) == 1:
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
        room = self._room(prefix)
        ids = self.tok.content_ids(text)
        if len(ids) <= room:
            return [text]
        paragraphs = text.split("\n\n")
        chunks, current, size = [], [], 0
        for para in paragraphs:
            n = len(self.tok.content_ids(para)) + 2
            if n > room:
                para = cut_text(self.tok, para, room - len(self.tok.content_ids(MIDDLE_MARKER)) - 4, "middle")
                n = len(self.tok.content_ids(para)) + 2
            if current and size + n > room:
                chunks.append("\n\n".join(current))
                current, size = [], 0
            current.append(para)
            size += n
        if current:
            chunks.append("\n\n".join(current))
        return chunks

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
        return result.text.strip()

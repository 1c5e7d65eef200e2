"""The text around a summary: the transcript the model reads, and the check a summary passes before it is offered.

A summary that says nothing (a bare heading, an empty code fence) is refused, and so is one
no shorter than what it replaces. Neither the transcript nor a summary carries the `[...]`
marker a truncation leaves in a message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.core.conversations.conversation import Message

SUMMARY_PREFIX = "Summary of the earlier conversation:\n"
MIN_WORDS = 6
MAX_MIN_WORDS = 12
SOURCE_TOKENS_PER_WORD = 50  # a summary needs a word for every 50 tokens it replaces, between the two bounds

_MARKER = re.compile(r"\s*\[(?:\.\.\.|…)\]\s*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def without_markers(text: str) -> str:
    """`text` with every `[...]` marker taken out and the text around it joined."""
    return _MARKER.sub(" ", text).strip()


def summary_body(message: Message) -> str:
    text = message.content
    return text[len(SUMMARY_PREFIX):] if text.startswith(SUMMARY_PREFIX) else text


def transcript(messages: Sequence[Message]) -> str:
    """What the summarizer reads: one paragraph a message, an earlier summary first as itself."""
    lines = []
    for m in messages:
        label = "summary so far" if m.summary else m.role
        lines.append(f"{label}: {without_markers(summary_body(m) if m.summary else m.content)}")
    return "\n\n".join(lines)


def prose_words(text: str) -> list[str]:
    """The words of `text` outside headings and code fences: what a reader learns from it."""
    words: list[str] = []
    in_code = False
    for line in text.splitlines():
        if _FENCE.match(line):
            in_code = not in_code
            continue
        if in_code or line.lstrip().startswith("#"):
            continue
        words += _WORD.findall(line)
    return words


def words_needed(source_tokens: int) -> int:
    return min(MAX_MIN_WORDS, max(MIN_WORDS, source_tokens // SOURCE_TOKENS_PER_WORD))


def summary_problem(summary_tokens: int, source_tokens: int, text: str) -> str | None:
    """Why the summary `text` may not replace `source_tokens` tokens of history, or None when it may."""
    words = len(prose_words(text))
    if words < words_needed(source_tokens):
        return (f"refused: the summary the model wrote is near-empty ({summary_tokens} tokens for {source_tokens:,}, "
                f"{words} word{'' if words == 1 else 's'} of text outside headings and code); nothing changes; "
                "sliding or a truncation would still work")
    if summary_tokens >= source_tokens:
        return (f"refused: the summary ({summary_tokens} tokens) is no shorter than the {source_tokens:,} tokens it "
                "would replace; sliding or a truncation would work")
    return None


def finished_sentences(text: str) -> str:
    """A summary cut off by its token limit, ended at its last full sentence when there is one."""
    text = text.strip()
    if not text or text[-1] in ".!?":
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]] if ends and ends[-1] >= len(text) // 2 else text

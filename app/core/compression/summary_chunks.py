"""A transcript longer than the model can read at once, split into chunks it can: nothing is cut out.

Chunks hold whole paragraphs (one a message); a paragraph longer than a chunk is split between
its sentences, and a sentence longer than a chunk between tokens. Each piece of a split
message keeps the speaker's label.
"""

from __future__ import annotations

import re

from app.core.compression.plan import Tokenizer

PARAGRAPH = "\n\n"
SEPARATOR_TOKENS = 2  # what joining two pieces may add
RUN_MARGIN = 4  # a run of ids can tokenize again to a few more

_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+")
_LABEL = re.compile(r"^([a-z][a-z ]{0,20}): ")


def _pack(tok: Tokenizer, parts: list[str], room: int, sep: str) -> list[str]:
    """Consecutive `parts` joined by `sep` into as few pieces of at most `room` tokens as they go."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for part in parts:
        n = len(tok.content_ids(part)) + SEPARATOR_TOKENS
        if current and size + n > room:
            pieces.append(sep.join(current))
            current, size = [], 0
        current.append(part)
        size += n
    if current:
        pieces.append(sep.join(current))
    return pieces


def _split_paragraph(tok: Tokenizer, paragraph: str, room: int) -> list[str]:
    label = _LABEL.match(paragraph)
    prefix = f"{label.group(1)} (continued): " if label else ""
    room -= len(tok.content_ids(prefix))
    sentences: list[str] = []
    for sentence in _SENTENCE_BREAK.split(paragraph):
        ids = tok.content_ids(sentence)
        if len(ids) + SEPARATOR_TOKENS <= room:
            sentences.append(sentence)
            continue
        step = room - RUN_MARGIN
        sentences += [tok.text(ids[k : k + step]).strip() for k in range(0, len(ids), step)]
    pieces = _pack(tok, sentences, room, " ")
    return pieces[:1] + [prefix + p for p in pieces[1:]]


def chunks(tok: Tokenizer, text: str, room: int) -> list[str]:
    """`text` in chunks of at most about `room` tokens each, in order, every word of it kept."""
    if len(tok.content_ids(text)) <= room:
        return [text]
    parts: list[str] = []
    for paragraph in text.split(PARAGRAPH):
        if len(tok.content_ids(paragraph)) + SEPARATOR_TOKENS <= room:
            parts.append(paragraph)
        else:
            parts += _split_paragraph(tok, paragraph, room)
    return _pack(tok, parts, room, PARAGRAPH)

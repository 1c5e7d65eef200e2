"""Summarize and hybrid over a word tokenizer, with a summarizer that returns a fixed text: no model."""

from __future__ import annotations

import pytest

from app.core.compression.strategies import compress, hybrid, summarize
from app.core.compression.summary_chunks import chunks
from app.core.compression.summary_text import SUMMARY_PREFIX
from app.core.conversations.conversation import Message
from app.core.errors import UsageError
from fakes.word_tokenizer import counted, history, word_tokenizer, words

SYSTEM = words(4, "s")
SUMMARY = "The user asked about the tides and the moon, and the assistant explained how gravity pulls the sea."
NEAR_EMPTY = "# Summary\n```\nnotes\n```"


class FixedSummarizer:
    """Returns `text` and `spent` tokens; keeps what it was asked to summarize."""

    def __init__(self, text: str = SUMMARY, spent: int = 40) -> None:
        self.text, self.spent = text, spent
        self.calls: list[tuple[list, list]] = []

    def __call__(self, prefix, old):
        self.calls.append((list(prefix), list(old)))
        return self.text, self.spent


def test_older_turns_become_one_summary_and_the_newest_question_stays():
    messages = history(SYSTEM, words(40, "a"), words(10, "b"), words(10, "c"))
    summarizer = FixedSummarizer()
    plan = summarize(word_tokenizer(), messages, summarizer)
    assert summarizer.calls == [([messages[0]], [messages[1], messages[2]])]
    assert len(plan.after) == 3 and plan.after[0] == messages[0] and plan.after[2] == messages[3]
    summary = plan.after[1]
    assert summary.summary and summary.role == "system" and summary.content == SUMMARY_PREFIX + SUMMARY
    assert [i.action for i in plan.items] == ["keep", "summarize", "summarize", "keep"]
    assert plan.summary_tokens == 40 and plan.problem is None
    assert plan.tokens_after == 6 + (5 + 18 + 2) + 12 + 1  # the prefix is five words, the summary eighteen


def test_pinned_messages_are_kept_beside_the_summary():
    messages = history(SYSTEM, words(40, "a"), words(10, "b"), words(10, "c"), words(10, "d"), words(10, "e"),
                       pinned=(2,))
    summarizer = FixedSummarizer()
    plan = summarize(word_tokenizer(), messages, summarizer)
    assert summarizer.calls[0] == ([messages[0], messages[2]], [messages[1], messages[3], messages[4]])
    assert messages[2] in plan.after and plan.after[-1] == messages[-1]


def with_earlier_summary(*turns: str) -> list[Message]:
    earlier = Message("system", SUMMARY_PREFIX + SUMMARY, summary=True)
    roles = ("user", "assistant")
    return counted([Message("system", SYSTEM), earlier] + [Message(roles[i % 2], t) for i, t in enumerate(turns)])


def test_an_earlier_summary_is_taken_in_not_stacked():
    messages = with_earlier_summary(words(30, "d"), words(10, "e"), words(10, "f"))
    summarizer = FixedSummarizer("A second summary of the tides and the moon and what was said about them.")
    plan = summarize(word_tokenizer(), messages, summarizer)
    assert summarizer.calls == [([messages[0]], messages[1:4])]
    assert [m.summary for m in plan.after] == [False, True, False]


def test_only_an_earlier_summary_before_the_newest_turn_is_nothing_to_do():
    summarizer = FixedSummarizer()
    plan = summarize(word_tokenizer(), with_earlier_summary(words(10, "c")), summarizer)
    assert not plan.changed and summarizer.calls == []


def test_a_near_empty_summary_is_refused_and_nothing_changes():
    messages = history(SYSTEM, words(40, "a"), words(10, "b"), words(10, "c"))
    plan = summarize(word_tokenizer(), messages, FixedSummarizer(NEAR_EMPTY, spent=25))
    assert not plan.changed and plan.summary_tokens == 25
    assert plan.problem.startswith("refused: the summary the model wrote is near-empty")


def test_a_summary_no_shorter_than_the_prompt_is_refused():
    messages = history(SYSTEM, words(3, "a"), words(3, "b"), words(3, "c"))
    plan = summarize(word_tokenizer(), messages, FixedSummarizer())
    assert not plan.changed
    assert plan.problem.startswith("refused: the summary (18 tokens) is no shorter than the 8 tokens")


def test_hybrid_keeps_the_last_turns_and_cuts_them_when_the_summary_is_not_enough():
    messages = history(SYSTEM, words(40, "a"), words(10, "b"), words(40, "c"), words(10, "d"), words(10, "e"))
    plan = hybrid(word_tokenizer(), messages, FixedSummarizer(), target=80)
    assert plan.strategy == "hybrid" and plan.tokens_after <= 80 and plan.problem is None
    assert [i.action for i in plan.items] == ["keep", "summarize", "summarize", "cut", "keep", "keep"]
    assert plan.after[-1] == messages[-1] and plan.after[-2] == messages[-2]
    assert "\n[...]\n" in plan.after[2].content


def test_hybrid_under_the_target_after_the_summary_cuts_nothing():
    messages = history(SYSTEM, words(40, "a"), words(10, "b"), words(10, "c"), words(10, "d"), words(10, "e"))
    plan = compress("hybrid", word_tokenizer(), messages, target=200, summarizer=FixedSummarizer())
    assert "cut" not in {i.action for i in plan.items} and plan.after[-3:] == tuple(messages[-3:])


def test_a_summarizing_strategy_without_a_model_and_an_unknown_strategy_are_refused():
    messages = history(SYSTEM, words(10, "a"), words(10, "b"))
    with pytest.raises(UsageError, match="summarize needs the loaded model"):
        compress("summarize", word_tokenizer(), messages, target=10)
    with pytest.raises(UsageError, match="unknown compression strategy 'zip'"):
        compress("zip", word_tokenizer(), messages, target=10)


def without_continued_labels(chunk: str) -> list[str]:
    """The words of `chunk` without the `speaker (continued):` label a split paragraph's pieces start with."""
    out = chunk.split()
    label = out[:2] if out[1:2] == ["(continued):"] else []
    return out[len(label):]


def test_a_long_transcript_is_chunked_within_the_room_and_keeps_every_word_in_order():
    text = "user: " + words(30, "a") + ".\n\nassistant: " + words(30, "b") + "\n\nuser: " + words(5, "c")
    tok = word_tokenizer()
    parts = chunks(tok, text, room=20)
    assert len(parts) > 2
    assert all(len(tok.content_ids(p)) <= 20 for p in parts)
    assert [w for p in parts for w in without_continued_labels(p)] == text.split()
    assert any(p.startswith("user (continued): ") for p in parts)
    assert any(p.startswith("assistant (continued): ") for p in parts)


def test_a_transcript_that_fits_is_one_chunk():
    text = "user: " + words(10)
    assert chunks(word_tokenizer(), text, room=20) == [text]

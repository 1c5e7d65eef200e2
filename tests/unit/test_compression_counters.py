"""What compressions count, and what undoing one takes back: the counters and the conversation's checkpoint."""

from __future__ import annotations

import pytest

from app.core.compression.stats import CompressionReport, CompressionStats
from app.core.compression.strategies import compress
from app.core.conversations.conversation import Conversation
from app.core.errors import UsageError
from fakes.word_tokenizer import history, word_tokenizer, words


def report(strategy: str) -> CompressionReport:
    return CompressionReport(strategy, "manual", 100, 60, 50, 10, 0.1)


def test_undoing_the_last_compression_takes_back_its_share_and_its_report():
    stats = CompressionStats()
    first = stats.add(saved=30, summary_tokens=5)
    stats.last = report("sliding")
    second = stats.add(saved=20, summary_tokens=7)
    stats.last = report("summarize")
    assert (stats.compressions, stats.tokens_saved, stats.summary_tokens) == (2, 50, 12)
    stats.take_back(second)
    assert (stats.compressions, stats.tokens_saved, stats.summary_tokens) == (1, 30, 5)
    assert stats.last == report("sliding")
    stats.take_back(first)
    assert (stats.compressions, stats.tokens_saved, stats.summary_tokens, stats.last) == (0, 0, 0, None)


def test_a_compression_that_grew_the_prompt_counts_no_saving():
    stats = CompressionStats()
    stats.add(saved=-4, summary_tokens=3)
    assert stats.tokens_saved == 0 and stats.summary_tokens == 3 and stats.compressions == 1
    assert stats.to_json()["compressions"] == 1


def test_an_applied_plan_is_undone_to_the_exact_history():
    messages = history(words(4, "s"), words(10, "a"), words(10, "b"), words(10, "c"), pinned=(0,))
    conversation = Conversation(messages)
    plan = compress("sliding", word_tokenizer(), conversation.messages, target=20)
    conversation.apply_compression(plan.strategy, plan.after, plan.tokens_before, plan.tokens_after)
    assert conversation.messages == list(plan.after) and len(conversation.checkpoints) == 1
    checkpoint = conversation.undo_compression()
    assert conversation.messages == messages
    assert (checkpoint.strategy, checkpoint.tokens_before, checkpoint.tokens_after) == (
        "sliding", plan.tokens_before, plan.tokens_after)
    with pytest.raises(UsageError, match="no compression to undo"):
        conversation.undo_compression()

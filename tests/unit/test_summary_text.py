"""The summary check and the transcript the summarizer reads: pure text, no model."""

from __future__ import annotations

from app.core.compression.summary_text import (
    SUMMARY_PREFIX,
    finished_sentences,
    prose_words,
    summary_problem,
    transcript,
    without_markers,
)
from app.core.conversations.conversation import Message

BARE_HEADING = "## Summary\n\n```\n```"


def test_a_bare_heading_and_a_code_fence_is_near_empty():
    assert prose_words(BARE_HEADING) == []
    problem = summary_problem(13, 610, BARE_HEADING)
    assert problem.startswith("refused: the summary the model wrote is near-empty (13 tokens for 610")
    assert "\n" not in problem and "sliding" in problem
    assert prose_words("# Notes\n```python\nprint('the user asked')\n```\nok") == ["ok"]


def test_a_real_summary_passes_and_a_longer_one_is_refused():
    text = "The user asked about five rivers; the assistant named the towns each one passes."
    assert summary_problem(20, 610, text) is None
    assert "no shorter" in summary_problem(700, 610, text)


def test_the_transcript_carries_no_truncation_markers_and_names_an_earlier_summary():
    messages = [
        Message("system", SUMMARY_PREFIX + "They talked about rivers.", summary=True),
        Message("user", "The start of it\n[...]\nthe end of it"),
        Message("assistant", "[...] the tail of a reply"),
        Message("user", "the head of a question [...]"),
    ]
    text = transcript(messages)
    assert "[...]" not in text
    assert text.split("\n\n") == [
        "summary so far: They talked about rivers.",
        "user: The start of it the end of it",
        "assistant: the tail of a reply",
        "user: the head of a question",
    ]
    assert without_markers("a […] b") == "a b"


def test_a_summary_cut_off_by_its_token_limit_ends_at_its_last_sentence():
    assert finished_sentences("The user asked about rivers. The assistant said that the") == \
        "The user asked about rivers."
    assert finished_sentences("Rivers flow to the sea.") == "Rivers flow to the sea."
    assert finished_sentences("no sentence end at all") == "no sentence end at all"

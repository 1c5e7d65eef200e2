"""Head, tail and middle truncation over a word tokenizer: the longest message is cut to the exact target."""

from __future__ import annotations

import pytest

from app.core.compression.strategies import compress
from app.core.compression.truncation import truncate
from app.core.errors import UsageError
from fakes.word_tokenizer import history, word_tokenizer, words

SYSTEM = words(4, "s")
LONG = words(40, "a")  # 42 tokens with the template


def long_question(pinned=()):
    """73 tokens: system 6, a long question 42, its reply 12, the newest question 12, the reply's header 1."""
    return history(SYSTEM, LONG, words(10, "b"), words(10, "c"), pinned=pinned)


@pytest.mark.parametrize("mode, content", [
    ("head", words(16, "a") + " [...]"),
    ("tail", "[...] " + " ".join(f"a{i}" for i in range(24, 40))),
    ("middle", words(8, "a") + "\n[...]\n" + " ".join(f"a{i}" for i in range(32, 40))),
])
def test_the_longest_message_is_cut_to_the_exact_target(mode, content):
    messages = long_question()
    plan = compress(mode, word_tokenizer(), messages, target=50)
    assert plan.tokens_before == 73 and plan.tokens_after == 50 and plan.problem is None
    assert plan.after[1].content == content
    assert plan.after[1].role == "user" and plan.after[1].id == messages[1].id
    assert [i.action for i in plan.items] == ["keep", "cut", "keep", "keep"]
    assert plan.items[1].tokens_before == 42 and plan.items[1].tokens_after == 19  # 17 words kept, marker included
    assert plan.after[0] == messages[0] and plan.after[2:] == tuple(messages[2:])


def test_a_picked_message_is_cut_first_and_the_longest_follows():
    messages = long_question()
    plan = truncate(word_tokenizer(), messages, target=50, mode="head", index=2)
    assert plan.after[2].content == words(8, "b") + " [...]"
    assert plan.after[1].content.endswith(" [...]")
    assert plan.tokens_after == 50


def test_the_system_prompt_a_pinned_message_and_the_newest_question_are_never_cut():
    messages = long_question(pinned=(1,))
    plan = truncate(word_tokenizer(), messages, target=50, mode="head")
    assert plan.after[0] == messages[0] and plan.after[1] == messages[1] and plan.after[3] == messages[3]
    assert plan.after[2].content == words(8, "b") + " [...]"
    assert plan.problem.startswith("with 1 message cut the prompt is still 72 tokens, over the 50-token target")
    assert "sliding" in plan.problem


def test_nothing_that_may_be_cut_says_so():
    messages = history(SYSTEM, LONG, pinned=(1,))
    plan = truncate(word_tokenizer(), messages, target=20, mode="middle")
    assert not plan.changed
    assert plan.problem.startswith("there is nothing it may cut")


def test_a_history_under_the_target_is_left_as_it_is():
    plan = truncate(word_tokenizer(), long_question(), target=73, mode="tail")
    assert not plan.changed and plan.problem is None


def test_an_unknown_truncation_is_refused():
    with pytest.raises(UsageError, match="unknown truncation 'sideways'"):
        truncate(word_tokenizer(), long_question(), target=50, mode="sideways")

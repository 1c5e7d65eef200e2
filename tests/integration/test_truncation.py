"""Head, tail and middle truncation on the real tokenizer: as many of the longest messages as the target needs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.compression.strategies import Tokenizer, compress
from app.core.conversations.conversation import Message
from app.core.engine.prompt_tokens import PromptTokens

LINE = "The quick brown fox jumps over the lazy dog near the river bank. "


def costed(engine, messages: list[Message]) -> list[Message]:
    """The messages with their prompt costs, as a session counts them."""
    _, counts = PromptTokens(engine).build(messages, False)
    return [replace(m, tokens=n) for m, n in zip(messages, counts)]


def short_turns(turns: int) -> list[Message]:
    messages = [Message("system", "Be brief.", pinned=True)]
    for i in range(turns):
        messages += [Message("user", f"Hi {i}"), Message("assistant", f"Hello {i}.")]
    return messages


def long_history(engine) -> list[Message]:
    """Three long old messages (one of them pinned), a short turn, and the longest of all: the newest prompt."""
    return costed(engine, [
        Message("system", "Be brief.", pinned=True),
        Message("user", LINE * 30),
        Message("assistant", LINE * 20),
        Message("user", LINE * 25, pinned=True),
        Message("assistant", LINE * 10),
        Message("user", "And then?"),
        Message("assistant", "Then nothing."),
        Message("user", LINE * 40),
    ])


@pytest.mark.parametrize("mode", ["head", "tail", "middle"])
def test_the_longest_messages_are_cut_one_after_another_until_the_target(engine, mode):
    tok = Tokenizer(engine)
    messages = long_history(engine)
    before = tok.prompt_tokens(messages)
    target = before - 500  # more than the longest cuttable message (#1, about 400 tokens) can give
    plan = compress(mode, tok, messages, target)
    cut = [i.index for i in plan.items if i.action == "cut"]
    assert cut == [1, 2], "the longest first, then the next longest; the rest are not touched"
    assert plan.problem is None
    assert plan.tokens_after == tok.prompt_tokens(plan.after) <= target
    assert plan.tokens_after >= target - 12
    assert [(m.role, m.pinned, m.summary) for m in plan.after] == [(m.role, m.pinned, m.summary) for m in messages]
    for i in (0, 3, 4, 5, 6, 7):
        assert plan.after[i] == messages[i], "the system prompt, the pinned message and the newest prompt stay whole"
    for i in cut:
        assert len(tok.content_ids(plan.after[i].content)) < len(tok.content_ids(messages[i].content))
        item = plan.items[i]
        assert item.tokens_before - item.tokens_after == \
            len(tok.content_ids(messages[i].content)) - len(tok.content_ids(plan.after[i].content))


def test_a_picked_message_is_cut_first_and_the_longest_follow(engine):
    tok = Tokenizer(engine)
    messages = long_history(engine)
    target = tok.prompt_tokens(messages) - 300
    plan = compress("middle", tok, messages, target, index=4)
    assert [i.index for i in plan.items if i.action == "cut"] == [1, 4]
    assert plan.tokens_after <= target and plan.problem is None


@pytest.mark.parametrize("mode", ["head", "tail", "middle"])
def test_many_short_turns_say_in_one_line_that_sliding_would_work(engine, mode):
    tok = Tokenizer(engine)
    messages = costed(engine, short_turns(40))
    plan = compress(mode, tok, messages, 300)
    assert not plan.changed and plan.tokens_before > 300
    assert plan.problem.startswith("no message is long enough to cut")
    assert "sliding" in plan.problem and "\n" not in plan.problem
    assert compress("sliding", tok, messages, 300).tokens_after <= 300, "and sliding does"


def test_cutting_what_can_be_cut_but_not_enough_says_so(engine):
    tok = Tokenizer(engine)
    messages = costed(engine, short_turns(30)[:-1] + [Message("assistant", LINE * 10), Message("user", "So?")])
    plan = compress("head", tok, messages, 300)
    assert [i.index for i in plan.items if i.action == "cut"] == [len(messages) - 2]
    assert plan.tokens_after > 300
    assert plan.problem.startswith("with 1 message cut the prompt is still")
    assert "sliding" in plan.problem


def test_when_what_must_stay_is_over_the_target_no_strategy_is_promised(engine):
    tok = Tokenizer(engine)
    messages = costed(engine, [
        Message("system", "Be brief.", pinned=True), Message("user", LINE * 30, pinned=True),
        Message("assistant", "Noted."), Message("user", "Hi"), Message("assistant", "Hello."),
    ])
    plan = compress("middle", tok, messages, 100)
    assert not plan.changed
    assert "sliding cannot reach it either" in plan.problem and "unpin a message" in plan.problem

"""`run --compress`: the strategy named runs before the prompt, or the run is refused before anything changes."""

from __future__ import annotations

import pytest

from app.core.compression.compress_before import compress_before_prompt
from app.core.compression.strategies import compress
from app.core.errors import UsageError
from fakes.word_tokenizer import WordEngine, history, word_tokenizer, words


class WordSession:
    """The part of a session `compress_before_prompt` uses, with a fixed target, counting words."""

    def __init__(self, messages, n_ctx: int, target: int, reserve: int = 16) -> None:
        self.engine = WordEngine(n_ctx)
        self.messages = list(messages)
        self.target = target
        self.reserve = reserve
        self.applied = []

    def preview_compression(self, strategy: str):
        return compress(strategy, word_tokenizer(self.engine), self.messages, self.target)

    def apply_compression(self, plan) -> None:
        self.applied.append(plan)
        self.messages = list(plan.after)


def long_history(pinned=()):
    return history(words(4, "s"), words(40, "a"), words(10, "b"), words(10, "c"), pinned=pinned)


def test_a_plan_that_reaches_its_target_is_applied_quietly():
    session = WordSession(long_history(), n_ctx=4096, target=50)
    assert compress_before_prompt(session, "head", "next question") is None
    assert len(session.applied) == 1 and session.applied[0].tokens_after == 50


def test_nothing_to_compress_says_how_long_the_history_is():
    session = WordSession(long_history(), n_ctx=4096, target=100)
    line = compress_before_prompt(session, "tail", "next")
    assert line == "--compress tail: nothing to compress (the history is 73 tokens)"
    assert session.applied == []


def test_a_plan_that_falls_short_goes_on_when_the_prompt_fits():
    session = WordSession(long_history(pinned=(1,)), n_ctx=4096, target=50)
    line = compress_before_prompt(session, "head", "next")
    assert line.startswith("--compress head: with 1 message cut") and line.endswith("; going on, since the prompt fits")
    assert len(session.applied) == 1


def test_a_plan_that_falls_short_and_does_not_fit_is_refused_before_anything_changes():
    session = WordSession(long_history(pinned=(1,)), n_ctx=80, target=50)
    before = list(session.messages)
    refused = "--compress head cannot make room: .* the history and the prompt need 92 tokens .* holds 80"
    with pytest.raises(UsageError, match=refused):
        compress_before_prompt(session, "head", "next question")
    assert session.applied == [] and session.messages == before

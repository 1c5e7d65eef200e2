"""The sliding window over a word tokenizer: the oldest turns go, in pairs, until the prompt fits."""

from __future__ import annotations

from app.core.compression.sliding_window import sliding_window
from app.core.compression.strategies import compress
from fakes.word_tokenizer import history, word_tokenizer, words

SYSTEM = words(4, "s")  # 6 tokens with the template; every turn below is 12


def five_turns(pinned=()):
    return history(SYSTEM, words(10, "a"), words(10, "b"), words(10, "c"), words(10, "d"), words(10, "e"),
                   pinned=pinned)


def test_the_oldest_question_and_its_reply_go_until_the_target_is_met():
    messages = five_turns()
    plan = sliding_window(word_tokenizer(), messages, target=56)
    assert plan.tokens_before == 6 + 5 * 12 + 1
    # dropping the first question alone reaches 55, but its reply goes with it
    assert [m.content for m in plan.after] == [SYSTEM, words(10, "c"), words(10, "d"), words(10, "e")]
    assert plan.tokens_after == 43 and plan.problem is None
    assert [i.action for i in plan.items] == ["keep", "drop", "drop", "keep", "keep", "keep"]
    assert plan.saved == 24


def test_the_system_prompt_pinned_messages_and_the_newest_turn_stay():
    messages = five_turns(pinned=(1,))
    plan = sliding_window(word_tokenizer(), messages, target=45)
    assert plan.after == (messages[0], messages[1], messages[5])
    assert plan.after[1].pinned and plan.tokens_after == 31


def test_a_target_below_what_must_stay_is_named_as_the_problem():
    messages = five_turns()
    plan = sliding_window(word_tokenizer(), messages, target=10)
    assert plan.after == (messages[0], messages[5])
    assert plan.tokens_after == 19
    assert plan.problem.startswith(
        "with every older turn dropped the prompt is still 19 tokens, over the 10-token target")


def test_a_history_under_the_target_is_left_as_it_is():
    messages = five_turns()
    plan = compress("sliding", word_tokenizer(), messages, target=100)
    assert not plan.changed and plan.saved == 0 and plan.problem is None
    assert plan.describe() == "sliding: nothing to do; 67 -> 67 tokens"

"""Finding text in the conversation: case-insensitive, in reading order, with spans in the original text."""

from __future__ import annotations

from app.core.conversations.conversation import Message
from app.core.conversations.search import Match, find, step


def messages(*texts: str) -> list[Message]:
    return [Message("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(texts)]


def test_matches_ignore_case_and_come_in_reading_order():
    found = find(messages("The KV cache", "no match here", "kv Cache and KV CACHE"), "kv cache")
    assert found.matches == (Match(0, 4, 12), Match(2, 0, 8), Match(2, 13, 21))
    assert found.position(1) == "2 of 3"
    assert [m.start for m in found.matches_in(2)] == [0, 13]


def test_the_span_is_in_the_original_text_even_where_lowercase_changes_length():
    text = "İstanbul has a KV cache"  # "İ".lower() is two characters long
    (match,) = find(messages(text), "kv cache").matches
    assert text[match.start:match.end] == "KV cache"


def test_a_query_is_taken_literally():
    assert len(find(messages("a.b a+b (x)"), "a.b")) == 1
    assert len(find(messages("a.b a+b (x)"), "(x)")) == 1
    assert len(find(messages("aab"), ".")) == 0


def test_no_query_and_no_match_say_so():
    assert find(messages("anything"), "").position(0) == ""
    assert find(messages("anything"), "zzz").position(0) == "no matches"


def test_steps_wrap_round_both_ways():
    assert step(None, 3, forward=True) == 0
    assert step(None, 3, forward=False) == 2
    assert step(2, 3, forward=True) == 0
    assert step(0, 3, forward=False) == 2
    assert step(None, 0, forward=True) is None

"""Server-sent event lines: each data line's JSON object, DONE, or None; malformed lines counted."""

from __future__ import annotations

import pytest

from app.core.engine.server.sse import DONE, EventLines


def test_a_data_line_with_a_space_gives_its_object():
    lines = EventLines()
    assert lines.parse('data: {"content": "a", "stop": false}') == {"content": "a", "stop": False}
    assert (lines.seen, lines.malformed) == (1, 0)


def test_a_data_line_without_the_space_gives_its_object():
    lines = EventLines()
    assert lines.parse('data:{"n": 1}') == {"n": 1}
    assert (lines.seen, lines.malformed) == (1, 0)


def test_only_one_space_after_the_colon_is_dropped():
    assert EventLines().parse('data:  {"n": 2}') == {"n": 2}


def test_a_carriage_return_at_the_end_is_ignored():
    assert EventLines().parse('data: {"n": 3}\r') == {"n": 3}


@pytest.mark.parametrize("line", ["", "\r", ":", ": keep-alive", ":ping"])
def test_blank_lines_and_comments_carry_nothing(line):
    lines = EventLines()
    assert lines.parse(line) is None
    assert (lines.seen, lines.malformed) == (0, 0)


@pytest.mark.parametrize("line", ["event: message", "id: 7", "retry: 1000", "event:", "id:3"])
def test_event_id_and_retry_fields_carry_nothing_and_are_not_malformed(line):
    lines = EventLines()
    assert lines.parse(line) is None
    assert (lines.seen, lines.malformed) == (0, 0)


@pytest.mark.parametrize("line", ["bogus: x", "Data: {}", "hello", "content: a"])
def test_unknown_fields_are_counted_malformed(line):
    lines = EventLines()
    assert lines.parse(line) is None
    assert (lines.seen, lines.malformed) == (0, 1)


@pytest.mark.parametrize("line", ["data: [DONE]", "data:[DONE]"])
def test_done_ends_the_stream(line):
    lines = EventLines()
    assert lines.parse(line) is DONE
    assert lines.malformed == 0


@pytest.mark.parametrize("line", ["data: {not json", "data: ", "data:", 'data: {"a": 1', "data: [DONE"])
def test_invalid_json_is_counted_malformed(line):
    lines = EventLines()
    assert lines.parse(line) is None
    assert (lines.seen, lines.malformed) == (1, 1)


@pytest.mark.parametrize("line", ["data: [1,2]", "data: 3", 'data: "text"', "data: null", "data: true"])
def test_json_that_is_not_an_object_is_counted_malformed(line):
    lines = EventLines()
    assert lines.parse(line) is None
    assert (lines.seen, lines.malformed) == (1, 1)


def test_a_stream_counts_its_data_lines_and_its_malformed_lines():
    lines = EventLines()
    stream = [": hello", 'data: {"content": "a"}', "", "event: x", "data: {not json", 'data:{"content": "b"}',
              "data: [1,2]", "bogus: x", "", "data: [DONE]"]
    parsed = [lines.parse(line) for line in stream]
    assert [p for p in parsed if isinstance(p, dict)] == [{"content": "a"}, {"content": "b"}]
    assert parsed[-1] is DONE
    assert (lines.seen, lines.malformed) == (4, 3)

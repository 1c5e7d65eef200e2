"""Headless commands print every warning and notice on stderr, one line each."""

from __future__ import annotations

import io

from app.commands.notices import NoticeLines
from app.core import events as ev
from app.core.telemetry.memory import MemoryLevel


def test_each_notice_is_one_line_labelled_by_its_severity():
    err = io.StringIO()
    lines = NoticeLines(err)
    lines(ev.Notice("this model has no chat template: using a plain 'role: text' format", "warning"))
    lines(ev.Notice("auto n_ctx 4096: one tier below what fits"))
    lines(ev.Notice("autosave failed: disk full", "error"))
    assert err.getvalue().splitlines() == [
        "contextwatch: warning: this model has no chat template: using a plain 'role: text' format",
        "contextwatch: note: auto n_ctx 4096: one tier below what fits",
        "contextwatch: error: autosave failed: disk full",
    ]
    assert lines.messages[0].startswith("this model has no chat template")


def test_context_and_memory_warnings_are_notices_too():
    err = io.StringIO()
    lines = NoticeLines(err)
    lines(ev.ThresholdCrossed(percent=81.25, threshold=80.0, rising=True))
    lines(ev.ThresholdCrossed(percent=79.0, threshold=80.0, rising=False))
    lines(ev.MemoryLevelChanged(MemoryLevel.NORMAL, MemoryLevel.CRITICAL, 88.4))
    lines(ev.MemoryLevelChanged(MemoryLevel.CRITICAL, MemoryLevel.WARNING, 75.0))
    assert lines.messages == [
        "context usage crossed 80% of the effective budget (81.2%)",
        "memory level CRITICAL: 88% used",
    ]


def test_notices_during_the_streamed_reply_wait_for_its_end():
    err = io.StringIO()
    lines = NoticeLines(err)
    lines(ev.Notice("loaded", "information"))
    lines(ev.TokenEvent(token_id=5, text="Hi", index=1, latency_s=0.01, n_tokens=10))
    lines(ev.ThresholdCrossed(percent=31.0, threshold=30.0, rising=True))
    assert err.getvalue() == "contextwatch: note: loaded\n"
    lines.flush()
    assert err.getvalue().splitlines()[1] == "contextwatch: warning: context usage crossed 30% of the effective budget (31.0%)"
    assert len(lines.messages) == 2


def test_other_events_say_nothing():
    err = io.StringIO()
    lines = NoticeLines(err)
    lines(ev.LoadProgress("loading weights", 0.5))
    lines(ev.PrefillProgress(1, 2))
    lines.flush()
    assert err.getvalue() == "" and lines.messages == []

"""The words the UI puts on core's numbers: the gauge badge, the status line, the copy notification."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.core.session.commands import Reload, ResumeConversation, Submit
from app.core.session.engine_state import EngineState, Progress
from app.core.telemetry.usage import BudgetBreakdown, ContextUsage, FillState
from app.ui.actions.clipboard import copied_note
from app.ui.engine_link.engine_status import compression_status, progress_status, queued_status
from app.ui.widgets.levels import context_state

BASE = ContextUsage(
    used=0, n_ctx=512, effective=435, percent=0.0, available=435, reserve=77, tier=1, tier_name="Minimal",
    size_label="512", profile_id="smollm2", profile_matched=True, threshold=80.0, over_threshold=False,
    breakdown=BudgetBreakdown(0, 0, 0, 0),
)


def usage(used: int, overflow: int = 0, threshold: float = 80.0) -> ContextUsage:
    return replace(BASE, used=used, overflow=overflow, percent=100 * used / 435, available=max(0, 435 - used),
                   threshold=threshold, over_threshold=used * 100 >= threshold * 435)


@pytest.mark.parametrize("u, badge", [
    (usage(100), "OK"),
    (usage(360), "past 80% warning"),
    (usage(300, threshold=65), "past 65% warning"),
    (usage(440), "using the reserve"),
    (usage(512), "FULL"),
    (usage(512, overflow=2), "OVERFLOW"),
])
def test_the_badge_says_what_the_fill_means(u, badge):
    assert context_state(u) == badge


@pytest.mark.parametrize("u, state", [
    (usage(100), FillState.OK), (usage(360), FillState.OVER_THRESHOLD), (usage(440), FillState.RESERVE),
    (usage(512), FillState.FULL), (usage(512, overflow=2), FillState.OVERFLOW),
])
def test_core_classifies_the_fill(u, state):
    assert u.fill_state is state


@pytest.mark.parametrize("command, after, text", [
    (Submit("hi"), "", "reading the prompt · 120 / 800 tokens"),
    (Submit("hi"), "emergency compression", "emergency compression · re-reading the conversation · 120 / 800 tokens"),
    (Reload(1024), "", "reload · re-reading the conversation · 120 / 800 tokens"),
    (ResumeConversation("c1"), "", "resume · re-reading the conversation · 120 / 800 tokens"),
])
def test_prefill_progress_names_the_work(command, after, text):
    assert progress_status(EngineState(command=command, progress=Progress(120, 800, "tokens", after))) == text


def test_queued_and_copied_wording():
    assert queued_status("export failed", 2) == "export failed · 2 commands queued"
    assert queued_status(None, 1) == "1 command queued"
    assert copied_note("x") == "copied 1 character"
    assert copied_note("a" * 1312, "the last reply") == "copied 1,312 characters (the last reply)"


def test_a_compression_in_a_turn_says_when_the_model_writes_a_summary():
    assert compression_status("proactive", "hybrid", True) == \
        "proactive compression with hybrid: the model writes a summary… · Esc cancels"
    assert compression_status("emergency", "sliding window", False) == "emergency compression with sliding window… · Esc cancels"

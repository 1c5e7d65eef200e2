"""Screenshots of the compression and context-size UI on the fake session, at a fixed 140x42 terminal."""

from __future__ import annotations

import pytest

from app.ui.widgets.chat_input import ChatInput
from fake_tuning import tuning_app
from harness import SIZE, settle
from test_reload_ui import ScriptedTuning, script_tuning


async def _seeded(pilot) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).cursor_blink = False
    pilot.app.session.seed(5)
    await settle(pilot)


@pytest.fixture
def engine(monkeypatch) -> ScriptedTuning:
    return script_tuning(monkeypatch)


def test_compression_preview(snap_compare):
    async def run_before(pilot):
        await _seeded(pilot)
        await pilot.press("f2", "c")
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=SIZE, run_before=run_before)


def test_after_a_compression(snap_compare):
    async def run_before(pilot):
        await _seeded(pilot)
        await pilot.press("f2", "c")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=SIZE, run_before=run_before)


def test_compression_settings(snap_compare):
    async def run_before(pilot):
        await _seeded(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=SIZE, run_before=run_before)


def test_context_size_dialog(snap_compare, engine):
    async def run_before(pilot):
        await _seeded(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=SIZE, run_before=run_before)


def test_after_a_reload(snap_compare, engine):
    async def run_before(pilot):
        await _seeded(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot, 0.3)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(tuning_app(), terminal_size=SIZE, run_before=run_before)

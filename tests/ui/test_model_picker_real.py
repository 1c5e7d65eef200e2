"""Switching models from the picker on the real SmolLM2 and engine thread: the conversation stays."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from app.core.config.settings import Settings
from app.core.conversations.conversation import Message
from app.core.engine.gguf_file import read_metadata_header
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.screens.model_picker import CURRENT_MARK, ModelPickerScreen
from app.ui.widgets.reload_compare import ReloadComparePanel
from fixtures.gguf_copy import copy_with_metadata
from harness import SIZE, async_test, notifications, settle, wait_for
from scripted_command import Scripted

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
WORK_TIMEOUT = 120.0


@pytest.fixture
def second_model(tmp_path, monkeypatch, model_path):
    """./models/second.gguf, a copy of the bundled model under another name; no other store."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("HF_HUB_CACHE", "HF_HOME", "OLLAMA_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    return copy_with_metadata(model_path, tmp_path / "models" / "second.gguf", "general.name", "Second Model")


@async_test
async def test_picking_another_model_reloads_it_and_keeps_the_conversation(model_path, second_model):
    settings = Settings(n_ctx=1024, max_tokens=16, temperature=0.0, seed=7)
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        history = [Message("user", "Please explain how bread rises."),
                   Message("assistant", "Yeast eats sugar and makes gas, and the gas lifts the dough.")]
        app.run_command(Scripted("seed", lambda s: (s.load_history(history), s.resync())))
        assert await wait_for(pilot, lambda: not app.engine_state.pending, WORK_TIMEOUT)
        await settle(pilot)
        before = [(m.role, m.content) for m in app.messages()]

        await pilot.press("ctrl+l")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ModelPickerScreen), WORK_TIMEOUT)
        await settle(pilot)
        table = app.screen.query_one(DataTable)
        rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [(r[0], r[1], r[2]) for r in rows] == [(CURRENT_MARK, model_path.name, "bundled"),
                                                        ("", "second.gguf", "./models")]
        assert all(r[3] == "Q4_1" and r[4] == "8,192" for r in rows)
        assert table.cursor_row == 0  # the loaded model

        await pilot.press("down", "enter")
        panel = app.main.query_one(ReloadComparePanel)
        assert await wait_for(pilot, lambda: panel.outcome is not None and not app.engine_state.pending,
                              WORK_TIMEOUT)
        await settle(pilot)
        assert app.screen is app.main
        assert [(m.role, m.content) for m in app.messages()] == before
        assert app.session.model_path == second_model
        assert app.session.engine.info.name == "Second Model"
        assert app.sub_title.startswith("second · ")  # the file's name; the model's own is in the model panel
        outcome = panel.outcome
        assert (outcome.before.model, outcome.after.model) == (read_metadata_header(model_path)["general.name"],
                                                               "Second Model")
        assert outcome.after.n_ctx == 1024 and outcome.reevaluated > 0
        assert any(n.startswith("Now running Second Model at n_ctx 1,024: the conversation is kept")
                   for n in notifications(app))


@async_test
async def test_with_the_bundled_model_loaded_the_stores_are_read_after_the_first_frame(model_path, second_model):
    from app.core.config.model_locator import BUNDLED, ModelChoice

    settings = Settings(n_ctx=1024)
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink),
                          model_choice=ModelChoice(model_path, BUNDLED))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT)
        assert await wait_for(pilot, lambda: any("1 other model found" in n for n in notifications(app)), 10)
        assert [m.path for m in app.start_choice.others] == [second_model]

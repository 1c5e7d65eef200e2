"""Every dialog at 80x24: its buttons, or the line that says which keys close it, are on screen and not cut."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Footer, Static

from app.core.conversations.conversation import Conversation
from app.core.conversations.store import ConversationStore
from app.core.snapshots.store import SnapshotStore
from app.core.sweep.run import SweepPoint
from app.core.sweep.session_sweep import SweepRequest
from app.ui.actions.history_edits import delete_detail
from app.ui.screens.charts import ChartsScreen
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.compression_settings import CompressionSettingsScreen
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.context_size import ContextSizeScreen
from app.ui.screens.conversations import ConversationsScreen
from app.ui.screens.edit_message import EditMessageScreen
from app.ui.screens.growth import GrowthScreen
from app.ui.screens.help import HelpScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.resume import ResumeScreen
from app.ui.screens.snapshots import SnapshotPickerScreen
from app.ui.screens.sweep import SweepScreen
from app.ui.screens.sweep_run import SweepProgressScreen, SweepSetupScreen
from fake_session import INFO
from fake_tuning import tuning_app
from harness import async_test, settle
from test_growth_screen import filled_store
from test_reload_ui import offer
from test_sweep_screen import RESULTS

NARROW = (80, 24)


def _pending() -> dict:
    conversation = Conversation.with_system("You are a helpful assistant.")
    conversation.append("user", "What is a context window?")
    conversation.append("assistant", "The working memory of the model.")
    conversation.append("user", "And why does the KV cache grow with every token? " * 4)
    return {"conversation": conversation, "in_flight": "Each token adds", "saved": 1_700_000_000.0,
            "model": INFO.path, "n_ctx": 2048}


def dialogs(app, tmp_path) -> dict:
    """Each dialog, built as the app builds it, on the seeded fake session."""
    session = app.session
    return {
        "compression preview": lambda: CompressionPreviewScreen(session.preview_compression("sliding", target=20)),
        "compression preview for a reload": lambda: CompressionPreviewScreen(
            session.preview_compression("hybrid", target=20),
            "The conversation does not fit in 512 tokens: compress it first, then reload.", "Compress and reload"),
        "compression settings": lambda: CompressionSettingsScreen(app.engine_settings),
        "context size": lambda: ContextSizeScreen(offer(session)),
        "edit message": lambda: EditMessageScreen(1, app.messages()[1]),
        "confirm": lambda: ConfirmScreen("Delete snapshot before-the-long-answer?",
                                         "The snapshot's files are removed from the snapshots folder. " * 2),
        "delete confirmation": lambda: ConfirmScreen("Delete message #3 (user)?",
                                                     delete_detail(session.preview_edit(3, None), "z")),
        "resume": lambda: ResumeScreen(_pending(), INFO.path),
        "name prompt": lambda: NamePromptScreen("Take a snapshot: conversation and KV cache", "session-1",
                                                lambda name: None),
        "sweep setup": lambda: SweepSetupScreen("512,1024,2048,4096"),
        "sweep progress": lambda: SweepProgressScreen(SweepRequest((SweepPoint(512), SweepPoint(1024)), 0.5)),
        "help": lambda: HelpScreen({}),
        "charts": lambda: ChartsScreen(app.chart_data),
        "sweep results": lambda: SweepScreen(RESULTS),
        "growth": lambda: GrowthScreen(*filled_store(tmp_path)),
        "conversations": lambda: ConversationsScreen(ConversationStore()),
        "snapshots": lambda: SnapshotPickerScreen(SnapshotStore()),
    }


def fully_shown(screen, widget) -> bool:
    """On screen, not clipped by a parent, and the widget the screen finds at its corners."""
    region = widget.region
    if not region or not screen.region.contains_region(region):
        return False
    geometry = screen.find_widget(widget)
    if geometry.region.intersection(geometry.clip) != geometry.region:
        return False
    for x, y in ((region.x, region.y), (region.right - 1, region.bottom - 1)):
        found, _ = screen.get_widget_at(x, y)
        if found is not widget and widget not in found.ancestors:
            return False
    return True


def must_show(screen) -> list:
    buttons = list(screen.query(Button))
    if buttons:
        return buttons
    hints = [w for w in screen.query(Static) if w.id and w.id.endswith(("-foot", "-keys", "-hint"))]
    return hints



@pytest.mark.parametrize("name", [
    "compression preview", "compression preview for a reload", "compression settings", "context size",
    "edit message", "confirm", "delete confirmation", "resume", "name prompt", "sweep setup", "sweep progress", "help", "charts",
    "sweep results", "growth", "conversations", "snapshots",
])
@async_test
async def test_the_dialog_fits_80x24(name, tmp_path):
    app = tuning_app()
    async with app.run_test(size=NARROW) as pilot:
        await settle(pilot)
        app.session.seed(5)
        await settle(pilot)
        app.push_screen(dialogs(app, tmp_path)[name]())
        await settle(pilot, 0.3)
        screen = app.screen
        shown = must_show(screen)
        if isinstance(screen, (ChartsScreen, SweepScreen, GrowthScreen, ConversationsScreen, SnapshotPickerScreen)):
            shown = list(screen.query(Footer))  # full screens: their keys are in the footer
        assert shown, f"{name}: nothing says how to leave it"
        cut = [f"{w.__class__.__name__}#{w.id} at {w.region}" for w in shown if not fully_shown(screen, w)]
        assert not cut, f"{name}: cut at 80x24: {cut}"

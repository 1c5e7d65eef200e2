"""Screenshots of the saved-session dialogs on the fake session, at a fixed 140x42 terminal."""

from __future__ import annotations

import time

import pytest

from app.core.config.settings import Settings
from app.core.conversations.conversation import Conversation
from app.ui.app import ContextWatchApp
from app.ui.widgets.chat_input import ChatInput
from fake_session import INFO, FakeSession, InlineRunner
from harness import SIZE, fake_app, settle

SAVED = 1_700_000_000.0  # 2023-11-14 22:13 UTC


@pytest.fixture(autouse=True)
def utc(monkeypatch):
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def _ready(pilot) -> None:
    await settle(pilot)
    pilot.app.main.query_one(ChatInput).cursor_blink = False
    await settle(pilot)


def test_snapshot_name_refused(snap_compare):
    async def run_before(pilot):
        await _ready(pilot)
        pilot.app.main.query_one(ChatInput).insert("What is a context window?")
        await pilot.press("enter")
        await settle(pilot, 0.25)
        await pilot.press("ctrl+s")
        await settle(pilot)
        field = pilot.app.screen.query_one("#name-input")
        field.value = "../outside"
        field.cursor_blink = False
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)


def test_resume_offer(snap_compare):
    conversation = Conversation.with_system("You are a helpful assistant.")
    conversation.append("user", "What is a context window?")
    conversation.append("assistant", "The working memory of the model.")
    conversation.append("user", "And why does the KV cache grow with every token?")
    pending = {"conversation": conversation, "in_flight": "Each token adds", "saved": SAVED,
               "model": INFO.path, "n_ctx": 2048}
    settings = Settings(n_ctx=2048)
    app = ContextWatchApp(settings, lambda sink: FakeSession(settings, sink), InlineRunner, pending_resume=pending)
    assert snap_compare(app, terminal_size=SIZE, run_before=_ready)


def test_conversation_list(snap_compare):
    from app.core.conversations.store import ConversationRecord, ConversationStore

    store = ConversationStore()
    for n, (question, extra) in enumerate((
        ("What is a context window?", {"finished": True}),
        ("Why does the KV cache grow with every token?", {"in_flight": "Each token adds"}),
        ("Compare f16 and q8_0 caches", {"finished": True, "origin": "snapshot caches"}),
    )):
        conversation = Conversation.with_system("You are a helpful assistant.")
        conversation.append("user", question)
        conversation.append("assistant", "An answer.")
        saved = SAVED + 3600 * n
        store.save(ConversationRecord(id=f"20231114-2{n}1300-abcde{n}", title=question, created=saved, updated=saved,
                                      model=INFO.path, n_ctx=2048, conversation=conversation, **extra))
    (store.folder / "20231101-000000-000000.json").write_text("{cut short")

    async def run_before(pilot):
        await _ready(pilot)
        pilot.app.clear_notifications()  # the damaged file's notice at start is tested on its own
        await pilot.press("f5")
        await settle(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=run_before)

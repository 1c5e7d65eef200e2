"""The conversation list, delete-undo, and keeping the conversation when the app closes, on the fake
session writing to the real conversation store in the test's data folder."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input

from app.core.config.settings import Settings
from app.core.conversations.autosave import Autosave
from app.core.conversations.store import ConversationStore
from app.core.session.runner import EngineRunner
from app.ui import bindings
from app.ui.app import ContextWatchApp
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.conversations import ConversationsScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.resume import ResumeScreen, resume_summary
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.history_pane import HistoryList
from fake_session import FakeSession, InlineRunner
from harness import SIZE, ask, async_test, notifications, settle, wait_for


def kept_app(runner=InlineRunner, pending=None, **options) -> ContextWatchApp:
    settings = Settings(n_ctx=2048)
    return ContextWatchApp(
        settings, lambda sink: FakeSession(settings, sink, autosave=Autosave(), **options), runner,
        pending_resume=pending,
    )


def titles(screen: ConversationsScreen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


@async_test
async def test_the_list_opens_another_conversation_and_keeps_the_current_one():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "First topic: caches")
        first = app.session.autosave.current_id
        await pilot.press("f5")
        await settle(pilot)
        assert isinstance(app.screen, ConversationsScreen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is app.main and [m.role for m in app.messages()] == ["system"]
        await ask(pilot, "Second topic: tides")
        second = app.session.autosave.current_id
        assert second != first

        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert titles(screen) == ["Second topic: tides", "First topic: caches"]
        assert [str(screen.query_one(DataTable).get_row_at(i)[4]) for i in (0, 1)] == ["open now", ""]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.calls[-2:] == [f"open:{first}", "resume"]
        assert [m.content for m in app.messages()][1] == "First topic: caches"
        assert any("Opened “First topic: caches”" in m for m in notifications(app))
        assert ConversationStore().load(second).title == "Second topic: tides"  # still kept
        await ask(pilot, "More on caches")
        assert app.session.autosave.current_id == first
        assert ConversationStore().load(first).message_count == 4


@async_test
async def test_rename_validates_the_title_and_delete_asks_first():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Old conversation")
        old = app.session.autosave.current_id
        app.session.new_conversation()
        await ask(pilot, "Current conversation")
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("down", "r")
        await settle(pilot)
        assert isinstance(app.screen, NamePromptScreen)
        field = app.screen.query_one(Input)
        field.value = "   "
        await pilot.press("enter")
        await settle(pilot)
        assert "cannot be empty" in app.screen.problem
        field.value = "Renamed one"
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConversationsScreen)
        assert titles(app.screen) == ["Current conversation", "Renamed one"]
        assert ConversationStore().load(old).renamed

        await pilot.press("up", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConversationsScreen)  # the open conversation is not deleted
        assert any("the conversation you are in" in m for m in notifications(app))
        await pilot.press("down", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        assert ConversationStore().exists(old)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not ConversationStore().exists(old)
        assert titles(app.screen) == ["Current conversation"]


@async_test
async def test_a_damaged_file_is_listed_with_its_reason_and_the_others_still_open():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "A good one")
        (ConversationStore().folder / "20260101-000000-abcdef.json").write_text("{truncated")
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert titles(screen) == ["A good one", "damaged file 20260101-000000-abcdef.json"]
        assert "not valid JSON" in str(screen.query_one(DataTable).get_row_at(1)[4])
        assert "1 damaged file, not opened" in str(screen.query_one("#conversations-info").render())
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert any("cannot be opened" in m for m in notifications(app))
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert titles(screen) == ["A good one"]


@async_test
async def test_a_deleted_message_comes_back_at_its_place_with_undo():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Keep this question")
        before = [m.content for m in app.messages()]
        await pilot.press("f2")
        await settle(pilot)
        app.main.query_one(HistoryList).highlighted = 1
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")  # yes to the confirmation with the deletion's cost
        await settle(pilot)
        assert [m.content for m in app.messages()] == before[:1] + before[2:]
        key = bindings.key_for("history.undo_delete", {})
        assert any(f"Press {key} in the history pane" in m for m in notifications(app))
        assert ConversationStore().load(app.session.autosave.current_id).message_count == 1
        await pilot.press("z")
        await settle(pilot)
        assert [m.content for m in app.messages()] == before
        assert app.session.calls[-1] == "undo_delete"
        assert ConversationStore().load(app.session.autosave.current_id).message_count == 2
        await pilot.press("z")
        await settle(pilot)
        assert any("no deleted message" in m for m in notifications(app))


@async_test
async def test_quitting_while_a_reply_streams_keeps_the_partial_reply():
    app = kept_app(EngineRunner, token_delay=0.05)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.main.query_one(ChatInput).insert("Tell me a long story")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.turn_tokens >= 3, 10, step=0.01)
        conversation_id = app.session.autosave.current_id
        await pilot.press("ctrl+q")
    record = ConversationStore().load(conversation_id)
    last = record.conversation.messages[-1]
    assert last.role == "assistant" and last.content
    assert last.metrics["cut_off"] == "quit"
    assert record.finished is True
    assert resume_summary(Autosave().pending()).endswith("the last reply was cut off by the quit")


@async_test
async def test_an_error_in_a_screen_action_leaves_the_conversation_unfinished():
    app = kept_app()

    def broken() -> None:
        raise RuntimeError("a screen action failed")

    with pytest.raises(RuntimeError):
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await ask(pilot, "Do not lose me")
            conversation_id = app.session.autosave.current_id
            app.action_charts = broken
            await pilot.press("f3")
            await settle(pilot)
    record = ConversationStore().load(conversation_id)
    assert record.finished is False
    assert [m.content for m in record.conversation.messages][1] == "Do not lose me"
    pending = Autosave().pending()
    assert pending["id"] == conversation_id
    assert "did not end cleanly" in pending_question(pending)


def pending_question(pending: dict) -> str:
    from app.ui.screens.resume import resume_question

    return resume_question(pending)


@async_test
async def test_on_start_the_last_conversation_is_offered_and_enter_opens_it():
    keeper = Autosave()
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Yesterday's question")
    kept = keeper.pending()
    assert kept["finished"] is True and kept["title"] == "Yesterday's question"
    app = kept_app(pending=kept)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResumeScreen)
        assert str(app.screen.query_one("#resume-question").render()) == "Continue the last conversation?"
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.calls[-2:] == [f"open:{kept['id']}", "resume"]
        assert [m.content for m in app.messages()][1] == "Yesterday's question"
        await ask(pilot, "Today's question")
    assert len(ConversationStore().list().records) == 1  # the same conversation goes on


@async_test
async def test_every_conversation_action_has_an_id_and_is_in_the_palette():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles_ = {e.title for e in app.palette_entries()}
        assert {"Conversations", "New conversation", "Undo delete: bring back the message deleted last"} <= titles_
        await pilot.press("f5")
        await settle(pilot)
        screen_titles = {e.title for e in app.screen.palette_entries()}
        assert {"Conversations: open the selected conversation", "Conversations: rename the selected conversation",
                "Conversations: delete the selected conversation", "Conversations: new conversation"} <= screen_titles
    ids = bindings.all_binding_ids()
    assert {"app.conversations", "history.undo_delete", "conversations.open", "conversations.rename",
            "conversations.delete", "conversations.new"} <= ids


@async_test
async def test_a_conversation_that_cannot_be_read_when_opened_changes_nothing():
    app = kept_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Soon damaged")
        damaged = app.session.autosave.current_id
        app.session.new_conversation()
        await ask(pilot, "The one on screen")
        current = app.session.autosave.current_id
        before = [m.content for m in app.messages()]
        await pilot.press("f5")
        await settle(pilot)
        ConversationStore().path(damaged).write_text("{cut")
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is app.main
        assert any("not valid JSON" in m for m in notifications(app))
        assert [m.content for m in app.messages()] == before
        assert app.session.autosave.current_id == current
        assert ConversationStore().load(current).finished is False  # still the open conversation
    assert ConversationStore().load(current).finished is True


def test_the_new_flag_skips_the_offer(monkeypatch):
    from app import cli
    from app.ui import app as app_module

    opened = {}

    class Recorder:
        def __init__(self, settings, factory, pending_resume=None, model_path=None, model_choice=None):
            opened["pending"] = pending_resume
            self.return_code = 0

        def run(self):
            pass

    keeper = Autosave()
    keeper.save(FakeSession().conversation, "/m/model.gguf", 2048)  # nothing yet: only the system prompt
    conversation = FakeSession().conversation
    conversation.append("user", "kept from last time")
    keeper.save(conversation, "/m/model.gguf", 2048)
    monkeypatch.setattr(app_module, "ContextWatchApp", Recorder)
    assert cli.build_parser().parse_args(["--new"]).new is True
    assert app_module.run_app(Settings(), "/m/model.gguf", new=True) == 0
    assert opened["pending"] is None
    app_module.run_app(Settings(), "/m/model.gguf")
    assert opened["pending"]["title"] == "kept from last time"


@async_test
async def test_after_a_crash_the_offer_brings_back_the_reply_in_flight():
    keeper = Autosave()
    conversation = FakeSession().conversation
    conversation.append("user", "Count to five")
    keeper.save(conversation, "/m/model.gguf", 2048, in_flight="one, two, thr")  # then the process died
    pending = Autosave().pending()
    assert pending["finished"] is False and pending["in_flight"] == "one, two, thr"
    app = kept_app(pending=pending)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "did not end cleanly" in str(app.screen.query_one("#resume-question").render())
        assert "reply cut off mid-way" in str(app.screen.query_one("#resume-summary").render())
        await pilot.press("enter")
        await settle(pilot)
        last = app.messages()[-1]
        assert (last.role, last.content, last.metrics) == ("assistant", "one, two, thr", {"cut_off": "crash"})
        assert "cut off: crash" in str(app.main.query_one(HistoryList).get_option_at_index(2).prompt)
    record = ConversationStore().load(pending["id"])
    assert record.in_flight is None and record.message_count == 2 and record.finished is True


def test_damaged_saved_conversations_are_a_notice_when_the_dashboard_opens(monkeypatch):
    from app.core.config.paths import data_dir
    from app.ui import app as app_module

    class Recorder:
        def __init__(self, settings, factory, pending_resume=None, model_path=None, model_choice=None):
            self._startup_notes = []
            self.return_code = 0
            opened.append(self)

        def run(self):
            pass

    opened = []
    (data_dir() / "autosave.json").write_text('{"conversation": {"messages": "none"}}')
    ConversationStore().path("20250101-000000-abcdef").write_text("{not json")
    monkeypatch.setattr(app_module, "ContextWatchApp", Recorder)
    app_module.run_app(Settings(), "/m/model.gguf")
    notes = [note for note, severity in opened[0]._startup_notes if severity == "warning"]
    assert len(notes) == 2
    assert "autosave.json is damaged" in notes[0] and "moved aside to autosave.json.damaged" in notes[0]
    assert notes[1] == "1 conversation file is damaged: the conversation list shows why"

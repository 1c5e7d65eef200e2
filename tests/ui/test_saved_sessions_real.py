"""Pilot tests on the real SmolLM2 model: snapshot and restore from the keyboard, the resume
offer after a crash, and the growth view of the session's turns."""

from __future__ import annotations

import time

import pytest

from app.core.config.settings import Settings
from app.core.conversations.autosave import Autosave
from app.core.conversations.conversation import Conversation
from app.core.conversations.store import ConversationStore
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.growth import GrowthScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.resume import ResumeScreen
from app.ui.screens.snapshots import SnapshotPickerScreen
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.history_pane import HistoryList
from harness import SIZE, async_test, settle, wait_for

pytestmark = pytest.mark.model

LOAD_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0


def real_app(model_path, pending=None, max_tokens: int = 16) -> ContextWatchApp:
    settings = Settings(n_ctx=1024, max_tokens=max_tokens, temperature=0.0, seed=7)
    return ContextWatchApp(
        settings,
        lambda sink: Session(settings, model_path, sink=sink, autosave=Autosave()),
        pending_resume=pending,
        model_path=model_path,
    )


def finished(app) -> dict:
    """CommandFinished results by command label, as the app receives them."""
    results: dict = {}
    handle = app._on_command_finished

    def record(event, before) -> None:
        results[event.command.label] = event.result if event.ok else event
        handle(event, before)

    app._on_command_finished = record
    return results


async def send(pilot, text: str) -> None:
    app = pilot.app
    app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    assert await wait_for(pilot, lambda: app.last_stop is not None and not app.engine_state.turn_pending, TURN_TIMEOUT), \
        notifications(app)
    await settle(pilot)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def resume_shown(app) -> bool:
    """The resume offer is on screen with its question composed, not only pushed."""
    return isinstance(app.screen, ResumeScreen) and bool(app.screen.query("#resume-question"))

@async_test
async def test_snapshot_from_the_keyboard_then_restore_it_from_the_picker(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        results = finished(app)
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send(pilot, "Name two colours.")
        saved = [m.content for m in app.messages()]

        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NamePromptScreen)
        app.screen.query_one("#name-input").value = "colours"
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "snapshot" in results, TURN_TIMEOUT), notifications(app)
        assert results["snapshot"].name == "colours" and results["snapshot"].tokens > 0

        await send(pilot, "Now name a fruit.")
        assert len(app.messages()) == len(saved) + 2

        await pilot.press("f8")
        await settle(pilot)
        assert isinstance(app.screen, SnapshotPickerScreen)
        assert [i.name for i in app.screen.infos] == ["colours"]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "stays in the conversation list" in str(app.screen.query_one("#confirm-detail").render())
        before_restore = app.session.autosave.current_id
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "restore" in results, TURN_TIMEOUT), notifications(app)
        await settle(pilot)
        restored = results["restore"]
        kept = ConversationStore().load(before_restore)
        assert [m.content for m in kept.conversation.messages] == [m.content for m in app.messages()] + [
            "Now name a fruit.", kept.conversation.messages[-1].content]  # the conversation it replaced is kept
        assert app.session.autosave.current_id != before_restore
        assert ConversationStore().load(app.session.autosave.current_id).origin == "snapshot colours"
        assert restored.kv_restored is True
        assert restored.tokens == results["snapshot"].tokens
        assert [m.content for m in app.messages()] == saved
        assert any(m.startswith(f"restored {restored.tokens:,} tokens in") and "from the KV state" in m
                   for m in notifications(app))


@async_test
async def test_the_resume_offer_puts_the_autosaved_messages_back(model_path):
    conversation = Conversation.with_system("You are a helpful assistant.")
    conversation.append("user", "What is the capital of France?")
    conversation.append("assistant", "The capital of France is Paris.")
    conversation.append("user", "And of Italy?")
    pending = {"conversation": conversation, "in_flight": "The capital of Italy", "saved": time.time(),
               "model": str(model_path), "n_ctx": 1024}
    app = real_app(model_path, pending)
    async with app.run_test(size=SIZE) as pilot:
        results = finished(app)
        assert await wait_for(pilot, lambda: resume_shown(app), LOAD_TIMEOUT), app.engine_state.load_failed
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "resume" in results, TURN_TIMEOUT), notifications(app)
        await settle(pilot)
        assert [m.content for m in app.messages()][1:] == [
            "What is the capital of France?", "The capital of France is Paris.", "And of Italy?",
            "The capital of Italy"]
        assert app.main.query_one(HistoryList).option_count == 5
        assert app.session.usage.snapshot().used > 20  # the resumed messages are in the context


@async_test
async def test_growth_view_lists_the_turns_of_this_session(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        prompts = ["Say hello.", "Count to three."]
        for prompt in prompts:
            await send(pilot, prompt)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GrowthScreen)
        assert sorted(r.prompt for r in screen.rows) == sorted(prompts)
        assert all(r.session_id == app.session.growth_session for r in screen.rows)
        first = next(r for r in screen.rows if r.turn_index == 1)
        assert 0 < first.context_before < first.context_after
        screen.query_one("#growth-table").move_cursor(row=screen.rows.index(first))
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.main.query_one(HistoryList).highlighted == 1  # the first user message


@async_test
async def test_quit_then_restart_brings_the_conversation_back_into_the_kv_cache(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send(pilot, "Name two colours.")
        kept = [m.content for m in app.messages()]
        used = app.session.usage.snapshot().used
        await pilot.press("ctrl+q")
    pending = Autosave().pending()
    assert pending is not None and pending["finished"] is True and pending["title"] == "Name two colours."

    app = real_app(model_path, pending)
    async with app.run_test(size=SIZE) as pilot:
        results = finished(app)
        assert await wait_for(pilot, lambda: resume_shown(app), LOAD_TIMEOUT), app.engine_state.load_failed
        assert "Continue the last conversation?" in str(app.screen.query_one("#resume-question").render())
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "resume" in results, TURN_TIMEOUT), notifications(app)
        await settle(pilot)
        assert results["resume"].id == pending["id"]
        assert [m.content for m in app.messages()] == kept
        assert app.session.usage.snapshot().used == used
        assert app.session.engine.n_tokens == used  # re-read into the KV cache by the engine thread
        await send(pilot, "And one more?")
        assert app.session.autosave.current_id == pending["id"]
    assert len(ConversationStore().list().records) == 1
    assert ConversationStore().load(pending["id"]).message_count == 4


@async_test
async def test_ctrl_q_while_a_reply_streams_keeps_the_partial_reply(model_path):
    app = real_app(model_path, max_tokens=400)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        app.main.query_one(ChatInput).insert("Tell me a long story about a dragon and a knight.")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.turn_tokens >= 5, TURN_TIMEOUT, step=0.005), notifications(app)
        await pilot.press("ctrl+q")
    pending = Autosave().pending()
    conversation = pending["conversation"]
    assert [m.role for m in conversation.messages] == ["system", "user", "assistant"]
    partial = conversation.messages[-1]
    assert partial.content.strip() and partial.metrics["cut_off"] == "quit"
    assert partial.metrics["stop_reason"] == "cancelled"
    assert pending["in_flight"] == "" and pending["finished"] is True

    app = real_app(model_path, pending)
    async with app.run_test(size=SIZE) as pilot:
        results = finished(app)
        assert await wait_for(pilot, lambda: resume_shown(app), LOAD_TIMEOUT), app.engine_state.load_failed
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "resume" in results, TURN_TIMEOUT), notifications(app)
        assert app.messages()[-1].content == partial.content
        assert "cut off: quit" in str(app.main.query_one(HistoryList).get_option_at_index(2).prompt)


@async_test
async def test_delete_asks_with_the_real_costs_then_undo_puts_the_message_back(model_path):
    app = real_app(model_path)
    async with app.run_test(size=SIZE) as pilot:
        results = finished(app)
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send(pilot, "Name two colours.")
        await send(pilot, "Now name a fruit.")
        before = [m.content for m in app.messages()]
        used = app.session.usage.snapshot().used
        await pilot.press("f2")
        await settle(pilot)
        app.main.query_one(HistoryList).highlighted = 3
        await pilot.press("d")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), TURN_TIMEOUT), notifications(app)
        costs = results["edit preview"]
        shift, exact = costs.way("shift"), costs.way("exact")
        assert shift.chosen and shift.note is None and 0 < shift.tokens < exact.tokens  # the bundled model shifts
        assert shift.seconds is not None and exact.seconds > shift.seconds  # the turns measured a prefill rate
        detail = str(app.screen.query_one("#confirm-detail").content).splitlines()
        assert detail[1:3] == [f"  shift {shift.tokens:,} token{'s' if shift.tokens != 1 else ''} · "
                               f"{shift.seconds:.1f} s  (taken)", f"  exact {exact.tokens:,} tokens · {exact.seconds:.1f} s"]
        assert app.messages() and len(app.messages()) == len(before)  # nothing deleted before the answer
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: "delete" in results, TURN_TIMEOUT), notifications(app)
        await settle(pilot)
        assert [m.content for m in app.messages()] == before[:3] + before[4:]
        deleted = results["delete"]
        assert deleted.shifted > 0 and deleted.evaluated == shift.tokens  # as the confirmation said
        assert " shifted · " in str(app.main.query_one("#history-sync").content)
        assert app.session.engine.n_tokens < used
        assert any("to bring it back" in m for m in notifications(app))
        await pilot.press("z")
        assert await wait_for(pilot, lambda: "undo-delete" in results, TURN_TIMEOUT), notifications(app)
        await settle(pilot)
        assert [m.content for m in app.messages()] == before
        undo = results["undo-delete"]
        assert undo.reused > 0 and undo.evaluated > 0  # the prefix before the message stayed in the cache
        assert app.session.engine.n_tokens == app.session.usage.snapshot().used == used
        kept = ConversationStore().load(app.session.autosave.current_id)
        assert [m.content for m in kept.conversation.messages] == before

"""Pilot tests on the fake session: snapshot keys, the picker, exports and the resume offer."""

from __future__ import annotations

import json
import re
import time

from textual.widgets import DataTable, Input

from app.core.config.paths import data_dir
from app.core.config.settings import Settings
from app.core.conversations.conversation import Conversation
from app.core.snapshots.store import SnapshotStore
from app.ui import bindings
from app.ui.actions.saved_sessions import message_for_turn
from app.ui.app import ContextWatchApp
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.name_prompt import NamePromptScreen
from app.ui.screens.resume import ResumeScreen, resume_summary
from app.ui.screens.snapshots import SnapshotPickerScreen
from app.ui.widgets.chat_input import ChatInput
from fake_session import INFO, FakeSession, InlineRunner
from harness import SIZE, async_test, fake_app, settle, wait_for


async def ask(pilot, text: str = "What is a context window?") -> None:
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    await settle(pilot)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


def status(app) -> str:
    return app.main.query_one("#status").text


async def type_name(pilot, name: str) -> None:
    field = pilot.app.screen.query_one(Input)
    field.value = name
    await pilot.press("enter")
    await settle(pilot)


@async_test
async def test_snapshot_key_asks_for_a_name_with_a_default_and_saves():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NamePromptScreen)
        default = app.screen.query_one(Input).value
        assert re.fullmatch(r"session-\d{8}-\d{6}", default)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.calls[-1] == f"save_snapshot:{default}"
        assert [i.name for i in SnapshotStore().list()] == [default]
        assert any(m.startswith(f"saved snapshot {default}") for m in notifications(app))
        assert status(app).startswith(f"snapshot {default} saved")


@async_test
async def test_a_bad_name_shows_why_and_keeps_the_dialog_open():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await type_name(pilot, "../escape")
        assert isinstance(app.screen, NamePromptScreen)
        assert "invalid snapshot name" in app.screen.problem
        assert not any(c.startswith("save_snapshot") for c in app.session.calls)
        await type_name(pilot, "good-name")
        assert app.screen is app.main and app.session.calls[-1] == "save_snapshot:good-name"

        await pilot.press("ctrl+s")
        await settle(pilot)
        await type_name(pilot, "good-name")  # exists: a warning first, the second Enter replaces it
        assert isinstance(app.screen, NamePromptScreen) and "exists" in app.screen.problem
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main and app.session.calls.count("save_snapshot:good-name") == 2

        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.session.calls.count("save_snapshot:good-name") == 2


@async_test
async def test_picker_lists_snapshots_and_enter_restores_one():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        app.session.save_snapshot("first")
        saved = [m.content for m in app.messages()]
        time.sleep(0.01)
        await ask(pilot, "And a KV cache?")
        app.session.save_snapshot("second")
        await settle(pilot)
        assert len(app.messages()) == 5

        await pilot.press("f8")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, SnapshotPickerScreen)
        table = picker.query_one(DataTable)
        assert [i.name for i in picker.infos] == ["second", "first"]  # newest first
        row = [str(c) for c in table.get_row_at(1)]
        assert row[0] == "first" and row[2] == INFO.name and row[3] == "2,048"

        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # the conversation on screen has messages: ask first
        detail = str(app.screen.query_one("#confirm-detail").render())
        assert "is not saved anywhere: the snapshot replaces it" in detail
        assert not any(c.startswith("restore_snapshot") for c in app.session.calls)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.calls[-1] == "restore_snapshot:first"
        assert [m.content for m in app.messages()] == saved
        restored = [m for m in notifications(app) if m.startswith("restored")]
        assert restored and restored[-1].endswith("from the KV state")
        assert status(app) == restored[-1]


@async_test
async def test_picker_deletes_after_confirmation():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.save_snapshot("keep")
        time.sleep(0.01)
        app.session.save_snapshot("drop")
        await pilot.press("f8")
        await settle(pilot)
        picker = app.screen
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")  # no: nothing is deleted
        await settle(pilot)
        assert app.screen is picker and len(picker.infos) == 2
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is picker
        assert [i.name for i in picker.infos] == ["keep"]
        assert [i.name for i in SnapshotStore().list()] == ["keep"]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert not any(c.startswith("restore_snapshot") for c in app.session.calls)


@async_test
async def test_picker_renames_and_refuses_a_taken_name():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.save_snapshot("alpha")
        time.sleep(0.01)
        app.session.save_snapshot("beta")
        await pilot.press("f8")
        await settle(pilot)
        picker = app.screen
        await pilot.press("r")  # the newest, beta
        await settle(pilot)
        assert isinstance(app.screen, NamePromptScreen)
        assert app.screen.query_one(Input).value == "beta"
        await type_name(pilot, "alpha")
        assert isinstance(app.screen, NamePromptScreen) and "already exists" in app.screen.problem
        await type_name(pilot, "gamma")
        assert await wait_for(pilot, lambda: "gamma" in [i.name for i in picker.infos])
        assert sorted(i.name for i in SnapshotStore().list()) == ["alpha", "gamma"]
        assert picker.selected().name == "gamma"


@async_test
async def test_quick_restore_takes_the_newest_snapshot():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert any("no snapshot to restore" in m for m in notifications(app))
        await ask(pilot)
        app.session.save_snapshot("old")
        time.sleep(0.01)
        app.session.save_snapshot("new")
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("escape")  # the confirmation: No
        await settle(pilot)
        assert not any(c.startswith("restore_snapshot") for c in app.session.calls)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.session.calls[-1] == "restore_snapshot:new"


@async_test
async def test_snapshot_keys_wait_for_a_running_reply():
    app = fake_app(pause_after=3)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main
        assert any("busy" in m for m in notifications(app))


@async_test
async def test_exports_write_markdown_and_json_transcripts():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        folder = data_dir() / "exports"
        md = sorted(folder.glob("*.md"))
        js = sorted(folder.glob("*.json"))
        assert len(md) == 1 and len(js) == 1
        assert "## User\n\nWhat is a context window?" in md[0].read_text()
        assert [m["role"] for m in json.loads(js[0].read_text())["messages"]] == ["system", "user", "assistant"]
        assert md[0].stat().st_mode & 0o777 == 0o600
        assert any(str(js[0]) in m for m in notifications(app))
        assert str(js[0]) in status(app)


def pending_state(in_flight: str = "The KV cache holds") -> dict:
    conversation = Conversation.with_system("You are helpful.")
    conversation.append("user", "Tell me about caches.")
    conversation.append("assistant", "Caches keep recent data close.")
    conversation.append("user", "And the KV cache?")
    return {"conversation": conversation, "in_flight": in_flight, "saved": time.time(),
            "model": INFO.path, "n_ctx": 2048}


def app_with_pending(pending: dict) -> ContextWatchApp:
    settings = Settings(n_ctx=2048)
    return ContextWatchApp(settings, lambda sink: FakeSession(settings, sink), InlineRunner, pending_resume=pending)


def test_resume_summary_counts_messages_and_says_the_reply_was_cut():
    pending = pending_state()
    saved = time.strftime("%H:%M", time.localtime(pending["saved"]))
    assert resume_summary(pending, INFO.path) == f"4 messages, saved {saved}, reply cut off mid-way"
    assert resume_summary(pending_state(""), "/m/other.gguf").endswith(
        "saved with SmolLM2-135M-Instruct.Q4_1.gguf: it will be re-read with this model")


@async_test
async def test_resume_offer_enter_puts_the_messages_back():
    pending = pending_state()
    app = app_with_pending(pending)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ResumeScreen)
        assert "reply cut off mid-way" in str(app.screen.query_one("#resume-summary").render())
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is app.main
        assert app.session.calls[-1] == "resume"
        assert [m.content for m in app.messages()][1:] == [
            "Tell me about caches.", "Caches keep recent data close.", "And the KV cache?", "The KV cache holds"]
        assert any("Resumed the last conversation: 4 messages" in m for m in notifications(app))
        assert app.pending_resume is None


@async_test
async def test_resume_offer_escape_starts_fresh():
    app = app_with_pending(pending_state())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert "resume" not in app.session.calls
        assert [m.role for m in app.messages()] == ["system"]


@async_test
async def test_quitting_before_answering_keeps_the_old_session_resumable():
    app = app_with_pending(pending_state())
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.autosave = "the autosave"
        assert isinstance(app.screen, ResumeScreen)
    assert app.session.autosave is None  # closing the session cannot mark the old autosave finished


@async_test
async def test_no_offer_without_a_pending_autosave():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen is app.main


@async_test
async def test_every_new_action_is_in_the_palette_and_has_an_id():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {e.title for e in app.palette_entries()}
        for title in ("Snapshot", "Snapshots", "Restore last snapshot", "Export transcript as Markdown",
                      "Export transcript as JSON", "Growth"):
            assert title in titles
        app.session.save_snapshot("one")
        await pilot.press("f8")
        await settle(pilot)
        picker_titles = {e.title for e in app.screen.palette_entries()}
        assert {"Snapshots: delete the selected snapshot", "Snapshots: rename the selected snapshot"} <= picker_titles
    ids = bindings.all_binding_ids()
    for scope in ("snapshots", "name_prompt", "confirm", "resume"):
        assert any(i.startswith(scope + ".") for i in ids)
    assert all(b.id for s in bindings.all_scopes() for b in s.bindings)


def test_a_turn_maps_to_its_prompt_or_the_nth_user_message():
    conversation = Conversation.with_system("s")
    for text in ("one", "two", "one"):
        conversation.append("user", text)
        conversation.append("assistant", "ok")
    messages = conversation.messages
    assert message_for_turn(messages, 2, "two") == 3
    assert message_for_turn(messages, 3, "one") == 5  # the repeat nearest the turn's position
    assert message_for_turn(messages, 1, "one") == 1
    assert message_for_turn(messages, 2, "edited away") is None
    assert message_for_turn(messages, 9) == 5
    assert message_for_turn(messages[:1], 1) is None


@async_test
async def test_a_corrupt_snapshot_is_refused_and_nothing_changes():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.save_snapshot("broken")
        blob = next(SnapshotStore().folder.glob("broken.*.kv"))
        blob.write_bytes(blob.read_bytes()[:-4])
        await ask(pilot)
        before = [m.content for m in app.messages()]
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.calls[-1] == "restore_snapshot:broken"
        assert any("is truncated" in m for m in notifications(app))
        assert [m.content for m in app.messages()] == before
        assert status(app) == "restore failed"


@async_test
async def test_a_damaged_manifest_is_listed_last_with_its_reason_and_never_breaks_the_picker():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.save_snapshot("good")
        app.session.save_snapshot("bad")
        path = SnapshotStore().folder / "bad.json"
        manifest = json.loads(path.read_text())
        manifest["created"] = 1e300
        path.write_text(json.dumps(manifest))
        await pilot.press("ctrl+r")  # the newest readable one
        await settle(pilot)
        assert app.session.calls[-1] == "restore_snapshot:good"
        await pilot.press("f8")
        await settle(pilot)
        picker = app.screen
        assert isinstance(picker, SnapshotPickerScreen)
        assert [i.name for i in picker.infos] == ["good"]
        assert [d.file_name for d in picker.damaged] == ["bad.json"]
        row = [str(c) for c in picker.query_one(DataTable).get_row_at(1)]
        assert row[0] == "bad.json" and row[1] == "damaged" and "created must be between" in row[2]
        assert "1 damaged" in str(picker.query_one("#snapshots-info").render())
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is picker
        assert any("bad.json cannot be restored" in m for m in notifications(app))
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert picker.damaged == [] and not path.exists()

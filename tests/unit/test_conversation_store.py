"""The conversation store and the autosave that writes the current conversation to it."""

from __future__ import annotations

import json
import os
import stat

import pytest

from app.core.config.paths import data_dir
from app.core.conversations.autosave import Autosave
from app.core.conversations.conversation import Conversation
from app.core.conversations.store import (
    ConversationError,
    ConversationRecord,
    ConversationStore,
    check_title,
    new_id,
    title_from,
)


def chat(*turns: str) -> Conversation:
    conversation = Conversation.with_system("You are helpful.")
    for i, text in enumerate(turns):
        conversation.append("user" if i % 2 == 0 else "assistant", text)
    return conversation


def record(store: ConversationStore, *turns: str, updated: float = 1000.0, **extra) -> ConversationRecord:
    conversation = chat(*turns)
    rec = ConversationRecord(id=new_id(updated), title=title_from(conversation), created=updated, updated=updated,
                             model="/m/model.gguf", n_ctx=2048, conversation=conversation, **extra)
    store.save(rec)
    return rec


def test_a_saved_conversation_is_one_private_json_file_that_loads_back():
    store = ConversationStore()
    rec = record(store, "What is a KV cache?", "Keys and values.", in_flight="More")
    path = store.path(rec.id)
    assert path.parent == data_dir() / "conversations"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    data = json.loads(path.read_text())
    assert {"id", "title", "created", "updated", "model", "n_ctx", "conversation"} <= set(data)
    back = store.load(rec.id)
    assert back.title == "What is a KV cache?"
    assert [m.content for m in back.conversation.messages] == ["You are helpful.", "What is a KV cache?",
                                                                "Keys and values."]
    assert back.in_flight == "More" and back.message_count == 3


def test_a_failed_write_keeps_the_previous_file_whole(monkeypatch):
    store = ConversationStore()
    rec = record(store, "first")
    before = store.path(rec.id).read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        store.save(ConversationRecord(**{**rec.__dict__, "conversation": chat("first", "second")}))
    assert store.path(rec.id).read_bytes() == before
    assert len(list(store.folder.iterdir())) == 1


def test_listing_is_newest_first_and_damaged_files_are_listed_with_a_reason():
    store = ConversationStore()
    old = record(store, "old question", updated=1000.0)
    new = record(store, "new question", updated=2000.0)
    (store.folder / "20260101-000000-abcdef.json").write_text("{not json")
    (store.folder / "20260101-000001-abcdef.json").write_text(json.dumps({"format_version": 99}))
    (store.folder / "notes.json").write_text("{}")
    listing = store.list()
    assert [r.id for r in listing.records] == [new.id, old.id]
    reasons = {d.file_name: d.reason for d in listing.damaged}
    assert "not valid JSON" in reasons["20260101-000000-abcdef.json"]
    assert "format 99" in reasons["20260101-000001-abcdef.json"]
    assert reasons["notes.json"] == "not a conversation file name"
    assert store.latest().id == new.id


def test_a_file_that_names_another_conversation_is_refused():
    store = ConversationStore()
    rec = record(store, "hello")
    other = store.folder / "20260101-000000-abcdef.json"
    other.write_bytes(store.path(rec.id).read_bytes())
    assert [d.file_name for d in store.list().damaged] == [other.name]


def test_rename_validates_and_delete_removes_only_that_file():
    store = ConversationStore()
    keep = record(store, "keep me")
    gone = record(store, "delete me")
    assert store.rename(keep.id, "  Caches  ").title == "Caches"
    assert store.load(keep.id).renamed is True
    for bad in ("", "   ", "x" * 81, "two\nlines"):
        with pytest.raises(ConversationError):
            store.rename(keep.id, bad)
    assert store.load(keep.id).title == "Caches"
    store.delete(gone.id)
    assert [r.id for r in store.list().records] == [keep.id]
    with pytest.raises(ConversationError, match="no conversation"):
        store.delete(gone.id)
    with pytest.raises(ConversationError, match="invalid conversation id"):
        store.load("../outside")


def test_a_damaged_file_can_be_deleted_but_nothing_outside_the_folder():
    store = ConversationStore()
    (store.folder / "broken.json").write_text("[]")
    store.delete_damaged("broken.json")
    assert store.list().damaged == ()
    for bad in ("../config.toml", "../x.json", ".hidden.json"):
        with pytest.raises(ConversationError):
            store.delete_damaged(bad)


def test_titles_come_from_the_first_user_message():
    assert title_from(chat("  Explain\nthe cache  ", "ok")) == "Explain"
    assert title_from(chat()) == "New conversation"
    assert len(title_from(chat("word " * 40))) == 80
    assert check_title(" ok ") == "ok"


def test_autosave_writes_nothing_before_the_first_message_then_keeps_one_file():
    autosave = Autosave(ConversationStore())
    conversation = chat()
    autosave.save(conversation, "/m/model.gguf", 2048)
    assert autosave.store.list().records == ()
    conversation.append("user", "Hello there")
    autosave.save(conversation, "/m/model.gguf", 2048)
    conversation.append("assistant", "Hi")
    autosave.save(conversation, "/m/model.gguf", 2048, in_flight=None)
    records = autosave.store.list().records
    assert len(records) == 1 and records[0].id == autosave.current_id
    assert records[0].message_count == 2 and records[0].finished is False
    autosave.mark_finished()
    assert autosave.store.load(autosave.current_id).finished is True


def test_a_rename_made_through_the_store_survives_the_next_autosave():
    autosave = Autosave(ConversationStore())
    conversation = chat("first question")
    autosave.save(conversation, "/m/model.gguf", 2048)
    ConversationStore().rename(autosave.current_id, "My title")
    conversation.append("assistant", "an answer")
    autosave.save(conversation, "/m/model.gguf", 2048)
    saved = autosave.store.load(autosave.current_id)
    assert saved.title == "My title" and saved.message_count == 2


def test_start_new_leaves_the_old_file_and_pending_offers_the_newest():
    autosave = Autosave(ConversationStore())
    autosave.save(chat("one"), "/m/model.gguf", 2048)
    first = autosave.current_id
    autosave.start_new(origin="snapshot s1")
    autosave.save(chat("two"), "/m/model.gguf", 2048, in_flight="partial")
    assert autosave.current_id != first
    assert autosave.store.load(first).title == "one"
    assert autosave.store.load(first).finished is True  # left cleanly for the new one
    pending = Autosave().pending()
    assert pending["id"] == autosave.current_id and pending["in_flight"] == "partial"
    assert pending["finished"] is False and autosave.store.load(pending["id"]).origin == "snapshot s1"


def test_the_single_autosave_file_of_earlier_versions_is_imported_once():
    legacy = data_dir() / "autosave.json"
    legacy.write_text(json.dumps({"saved": 1000.0, "finished": False, "model": "/m/x.gguf", "n_ctx": 1024,
                                  "conversation": chat("old one").state_json(), "in_flight": "cut"}))
    pending = Autosave().pending()
    assert pending["title"] == "old one" and pending["in_flight"] == "cut"
    assert not legacy.exists()
    assert len(ConversationStore().list().records) == 1

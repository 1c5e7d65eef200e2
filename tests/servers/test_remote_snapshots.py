"""Snapshots and compression of a conversation on llama-server: the slot's state through its slot files."""

from __future__ import annotations

import json
from contextlib import closing

from app.core.snapshots.store import SnapshotStore
from server_sessions import SETTINGS, server_session


def test_a_snapshot_restores_the_slot_and_the_next_request_proves_it(llama_server):
    with closing(server_session(llama_server.url, slot=0)) as session:
        session.submit("Name three colours.")
        session.submit("And three animals?")
        saved = session.save_snapshot("remote")
        assert saved.kv_saved and saved.tokens == session.engine.n_tokens > 0
        manifest, blob = SnapshotStore().load("remote")
        assert manifest["model"]["server_model"] == "SmolLM2-135M-Instruct.Q4_1.gguf" and b"slot_file" in blob
        session.new_conversation()
        session.submit("Something else entirely: what is rain?")  # the slot now holds another conversation
    with closing(server_session(llama_server.url, slot=0)) as fresh:
        restored = fresh.restore_snapshot("remote")
        assert restored.kv_restored, restored.message
        assert restored.reused >= restored.tokens - 1 and restored.evaluated <= 1
        assert "from the KV state" in restored.message
        assert [m.content for m in fresh.conversation.messages][1] == "Name three colours."


def test_a_restore_that_did_not_restore_says_so(llama_server):
    with closing(server_session(llama_server.url, slot=0)) as session:
        session.submit("Name three colours.")
        session.save_snapshot("lost")
        manifest, blob = SnapshotStore().load("lost")
        filename = json.loads(blob)["slot_file"]
        session.new_conversation()
    (llama_server.slot_dir / filename).unlink()
    with closing(server_session(llama_server.url, slot=0)) as fresh:
        restored = fresh.restore_snapshot("lost")
        assert not restored.kv_restored
        assert "re-evaluated" in restored.message and "could not restore" in restored.message
        assert [m.content for m in fresh.conversation.messages][1] == "Name three colours."


def test_a_summary_is_written_in_the_other_slot_and_the_conversations_cache_stays(llama_server):
    with closing(server_session(llama_server.url, slot=0)) as session:
        for question in ("Name three colours.", "And three animals?", "And three fruits?"):
            session.submit(question)
        before = session.engine.cached_ids()
        plan = session.preview_compression("summarize", protect_last=True)
        assert plan.changed
        assert session.engine.slot == 0 and session.engine.cached_ids() == before
        again = session.resync()
        assert again.evaluated <= 4 < again.reused  # the slot still holds the conversation: only its closing tokens are read
        report = session.engine.last_report()
        assert report.slot == 0 and report.cached == again.reused


def test_with_one_slot_a_summary_says_what_it_cost_the_conversations_cache(start_server):
    from app.core.events import Notice

    server = start_server(metrics=False)
    events: list = []
    with closing(server_session(server.url, events, settings=SETTINGS.with_overrides(max_tokens=80))) as session:
        for question in ("Name three colours.", "And three animals?", "And three fruits?"):
            session.submit(question)
        plan = session.preview_compression("summarize", protect_last=True)
        assert plan.changed and plan.summary_tokens
        cost = [e.message for e in events if isinstance(e, Notice) and "re-read after the summary" in e.message]
        assert cost and "the server has one slot" in cost[0]
        assert session.resync().evaluated <= 4  # the slot was read back: the next turn starts warm

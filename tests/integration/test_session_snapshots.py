"""Snapshots with the KV cache, corrupt files, autosave after kill -9, and the snapshots CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from app.core.config.settings import Settings
from app.core.conversations.autosave import Autosave
from app.core.events import Notice
from app.core.session.session import Session
from app.core.snapshots.store import FORMAT_VERSION, SnapshotError, SnapshotStore

GREEDY = dict(temperature=0.0, max_tokens=24, n_ctx=2048)


def new_session(model_path, **overrides):
    session = Session(Settings(**{**GREEDY, **overrides}), model_path)
    session.load()
    return session


@pytest.fixture
def saved(model_path, log_file):
    """A session that answered one question and saved itself as 'trip'."""
    session = new_session(model_path)
    session.submit("My name is Ada and I keep three cats. Remember that.")
    session.save_snapshot("trip")
    yield session
    session.close()


def test_restore_then_continue_equals_never_saving(model_path, saved):
    follow_up = "What is my name and how many cats do I keep?"
    expected = saved.submit(follow_up).reply
    fresh = new_session(model_path)
    try:
        restored = fresh.restore_snapshot("trip")
        assert restored.kv_restored is True
        assert restored.tokens > 40
        result = fresh.submit(follow_up)
        assert result.reply == expected
        assert result.sync.reused >= restored.tokens - 1
        assert result.sync.evaluated < 30, "the restored prompt is not read again"
    finally:
        fresh.close()


def test_snapshot_files_are_private_json_and_raw_bytes(saved):
    store = SnapshotStore()
    manifest_path = store.folder / "trip.json"
    [blob_path] = store.folder.glob("trip.*.kv")
    assert oct(manifest_path.stat().st_mode & 0o777) == "0o600"
    assert oct(blob_path.stat().st_mode & 0o777) == "0o600"
    assert oct(store.folder.stat().st_mode & 0o777) == "0o700"
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["model"]["size"] > 90_000_000 and len(manifest["model"]["sha256"]) == 64
    assert manifest["kv"]["bytes"] == blob_path.stat().st_size
    assert [m["role"] for m in manifest["conversation"]["messages"]] == ["system", "user", "assistant"]
    assert manifest["conversation"]["messages"][2]["metrics"]["generated_tokens"] > 0


def test_a_kv_state_from_another_model_is_refused(model_path, saved, tmp_path):
    other = tmp_path / "other.gguf"
    data = bytearray(model_path.read_bytes())
    at = data.index(b"SmolLM2") if b"SmolLM2" in data else data.index(b"Smollm2")
    data[at : at + 7] = b"OtherLM"
    other.write_bytes(bytes(data))
    session = new_session(other)
    try:
        result = session.restore_snapshot("trip")
        assert result.kv_restored is False
        assert "another model" in result.message
        assert [m.role for m in session.conversation.messages] == ["system", "user", "assistant"]
        assert session.engine.cached_ids() == session.engine.prompt_ids(
            session.conversation.as_chat(), add_generation_prompt=False)
    finally:
        session.close()


def test_a_different_n_ctx_re_evaluates_with_a_notice(model_path, saved):
    session = new_session(model_path, n_ctx=1024)
    try:
        result = session.restore_snapshot("trip")
        assert result.kv_restored is False and "n_ctx 2048" in result.message
    finally:
        session.close()


def _corrupt(kind, store):
    manifest_path = store.folder / "trip.json"
    [blob_path] = store.folder.glob("trip.*.kv")
    if kind == "truncated":
        blob_path.write_bytes(blob_path.read_bytes()[:1000])
        return "truncated"
    if kind == "checksum":
        blob = bytearray(blob_path.read_bytes())
        blob[500] ^= 0xFF
        blob_path.write_bytes(bytes(blob))
        return "checksum"
    if kind == "json":
        manifest_path.write_text(manifest_path.read_text()[:200])
        return "not valid JSON"
    if kind == "newer":
        manifest = json.loads(manifest_path.read_text())
        manifest["format_version"] = FORMAT_VERSION + 1
        manifest_path.write_text(json.dumps(manifest))
        return "newer"
    if kind == "escape":
        manifest = json.loads(manifest_path.read_text())
        manifest["kv"]["file"] = "../../etc/passwd"
        manifest_path.write_text(json.dumps(manifest))
        return "outside"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["truncated", "checksum", "json", "newer", "escape"])
def test_corrupt_snapshots_are_refused_and_nothing_changes(model_path, saved, kind):
    words = _corrupt(kind, SnapshotStore())
    before = list(saved.conversation.messages)
    cached = saved.engine.cached_ids()
    with pytest.raises(SnapshotError, match=words):
        saved.restore_snapshot("trip")
    assert saved.conversation.messages == before
    assert saved.engine.cached_ids() == cached


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "", "x" * 65, "name.json"])
def test_snapshot_names_never_escape_the_folder(saved, name):
    with pytest.raises(SnapshotError, match="invalid snapshot name"):
        saved.save_snapshot(name)


def test_disk_full_while_writing_keeps_the_old_snapshot(saved, monkeypatch):
    import errno

    import app.core.snapshots.store as snapshots

    store = SnapshotStore()
    old_manifest = (store.folder / "trip.json").read_text()
    calls = []

    def full_disk(path, data):
        calls.append(path)
        if len(calls) == 2:  # the blob went through; the manifest hits a full disk
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    real = snapshots.write_private
    monkeypatch.setattr(snapshots, "write_private", full_disk)
    saved.submit("One more thing to remember: the sky is blue.")
    with pytest.raises(SnapshotError, match="No space left on device"):
        saved.save_snapshot("trip")
    monkeypatch.undo()
    assert (store.folder / "trip.json").read_text() == old_manifest
    assert len(list(store.folder.glob("trip.*.kv"))) == 1, "the half-written blob is removed"
    manifest, blob = store.load("trip")
    assert len(blob) == manifest["kv"]["bytes"]


def test_overwriting_a_snapshot_leaves_one_blob(saved):
    saved.submit("And my dog is called Rex.")
    saved.save_snapshot("trip")
    store = SnapshotStore()
    assert len(list(store.folder.glob("trip.*.kv"))) == 1
    assert store.load("trip")[0]["kv"]["n_tokens"] > 60


def test_rename_and_delete(saved):
    store = SnapshotStore()
    store.rename("trip", "voyage")
    assert [i.name for i in store.list()] == ["voyage"]
    store.delete("voyage")
    assert store.list() == []
    with pytest.raises(SnapshotError, match="no snapshot"):
        store.delete("voyage")


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=300)


def test_snapshots_cli(saved, tmp_path):
    listed = run_cli("snapshots", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    [entry] = json.loads(listed.stdout)
    assert entry["name"] == "trip" and entry["tokens"] > 40 and entry["n_ctx"] == 2048
    shown = json.loads(run_cli("snapshots", "show", "trip", "--json").stdout)
    assert shown["messages"] == 3 and "token_ids" not in shown["kv"]
    md = run_cli("snapshots", "export", "trip", "--format", "md")
    assert "## User" in md.stdout and "Ada" in md.stdout and "reply " in md.stdout
    out = tmp_path / "t.json"
    assert run_cli("snapshots", "export", "trip", "--format", "json", "-o", str(out)).returncode == 0
    exported = json.loads(out.read_text())
    assert exported["messages"][1]["content"].startswith("My name is Ada")
    assert exported["messages"][2]["metrics"]["ttft_ms"] > 0
    missing = run_cli("snapshots", "show", "nope")
    assert missing.returncode == 2 and "no snapshot named 'nope'" in missing.stderr
    assert run_cli("snapshots", "delete", "trip").returncode == 0
    assert json.loads(run_cli("snapshots", "list", "--json").stdout) == []


def test_run_resume_reports_restored_tokens(saved):
    proc = run_cli("run", "--resume", "trip", "--prompt", "What is my name?", "--n-ctx", "2048",
                   "--max-tokens", "8", "--temperature", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["restored"]["kv_restored"] is True and report["restored"]["tokens"] > 40
    assert report["tokens"]["reused"] >= report["restored"]["tokens"] - 1


def test_kill_9_during_generation_then_resume(model_path, tmp_path):
    script = textwrap.dedent(f"""
        from pathlib import Path
        from app.core.conversations.autosave import Autosave
        from app.core.session.session import Session
        from app.core.config.settings import Settings
        s = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=2000, repeat_penalty=1.0), Path({str(model_path)!r}),
                    autosave=Autosave(interval=0.2))
        s.load()
        s.submit("Count from one to five hundred, one number per line.")
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], env=dict(os.environ))
    autosave = Autosave()
    deadline = time.monotonic() + 120
    pending = None
    while time.monotonic() < deadline:
        pending = autosave.pending()
        if pending and len(pending["in_flight"]) > 40:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    assert pending and len(pending["in_flight"]) > 40, "the reply in flight was autosaved"
    after = autosave.pending()
    assert after is not None and after["finished"] is False, "a killed session stays marked unfinished"
    assert [m.role for m in after["conversation"].messages] == ["system", "user"]
    session = new_session(model_path)
    try:
        session.resume(after["conversation"], after["in_flight"])
        roles = [m.role for m in session.conversation.messages]
        assert roles == ["system", "user", "assistant"]
        assert session.conversation.messages[-1].content == after["in_flight"]
        assert session.conversation.messages[-1].metrics == {"cut_off": "crash"}
        result = session.submit("Thanks, stop there.")
        assert result.generated_tokens > 0
    finally:
        session.close()


def conversation_ids(session) -> list[int]:
    return session.engine.prompt_ids(session.conversation.as_chat(), add_generation_prompt=False)


def test_a_cache_holding_other_work_is_not_saved(saved):
    other = saved.engine.prompt_ids([{"role": "user", "content": "Something that is not this conversation."}])
    saved.engine.sync(other)
    notices = []
    saved.sink = notices.append
    result = saved.save_snapshot("other")
    assert result.kv_saved is False and result.tokens == 0 and result.bytes == 0
    assert "they are not this conversation's" in result.reason
    [notice] = [n.message for n in notices if isinstance(n, Notice)]
    assert "without its KV state because" in notice and result.reason in notice
    store = SnapshotStore()
    manifest, blob = store.load("other")
    assert blob is None and not list(store.folder.glob("other.*.kv"))
    assert manifest["kv"]["reason"] == result.reason and manifest["kv"]["n_tokens"] == 0
    [info] = [i for i in store.list() if i.name == "other"]
    assert info.kv_reason == result.reason and info.tokens == 0
    shown = run_cli("snapshots", "show", "other")
    assert shown.returncode == 0 and "KV state: none, because" in shown.stdout
    shown_json = json.loads(run_cli("snapshots", "show", "other", "--json").stdout)
    assert shown_json["kv"]["reason"] == result.reason and shown_json["kv"]["file"] is None

    restored = saved.restore_snapshot("other")
    assert restored.kv_restored is False and "saved without a KV state" in restored.message
    assert restored.message.startswith("restored the conversation of other; ")
    assert saved.engine.cached_ids() == conversation_ids(saved)
    store.rename("other", "renamed")
    assert store.load("renamed")[1] is None


def test_a_cache_running_past_the_conversation_is_saved_up_to_its_end(saved):
    ids = conversation_ids(saved)
    saved.engine.sync(ids + saved.engine.tokenize("<|im_start|>user\nNot sent"))
    result = saved.save_snapshot("trimmed")
    assert result.kv_saved is True and result.tokens == len(ids)
    manifest, _ = SnapshotStore().load("trimmed")
    assert manifest["kv"]["token_ids"] == ids
    restored = saved.restore_snapshot("trimmed")
    assert restored.kv_restored is True
    assert (restored.reused, restored.evaluated) == (len(ids) - 1, 1)


def test_a_restore_is_verified_by_the_next_sync(model_path, saved):
    fresh = new_session(model_path)
    try:
        restored = fresh.restore_snapshot("trip")
        ids = conversation_ids(fresh)
        assert restored.kv_restored is True and restored.tokens == len(SnapshotStore().load("trip")[0]["kv"]["token_ids"])
        assert restored.reused == min(restored.tokens, len(ids) - 1)
        assert fresh.engine.cached_ids() == ids
        assert fresh.submit("What is my name?").sync.reused == len(ids)
    finally:
        fresh.close()


def tamper_conversation(name: str) -> None:
    """Change the saved question: the KV state's token ids are no longer the conversation's."""
    store = SnapshotStore()
    path = store.folder / f"{name}.json"
    manifest = json.loads(path.read_text())
    manifest["conversation"]["messages"][1]["content"] = "My name is Bob and I keep two dogs."
    path.write_text(json.dumps(manifest))


def test_a_restore_that_does_not_deliver_says_so(model_path, saved):
    tamper_conversation("trip")
    fresh = new_session(model_path)
    try:
        restored = fresh.restore_snapshot("trip")
        assert restored.kv_restored is False
        assert restored.message.startswith("restored the conversation of trip; ")
        assert "from the KV state" not in restored.message
        assert "not this conversation's" in restored.message
        assert restored.tokens == restored.evaluated > 20
        assert fresh.engine.cached_ids() == conversation_ids(fresh)
    finally:
        fresh.close()


def test_run_resume_reports_a_restore_that_did_not_deliver(saved):
    tamper_conversation("trip")
    proc = run_cli("run", "--resume", "trip", "--prompt", "What is my name?", "--n-ctx", "2048",
                   "--max-tokens", "8", "--temperature", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    restored = json.loads(proc.stdout)["restored"]
    assert restored["kv_restored"] is False and restored["evaluated"] > 20
    assert "re-evaluated" in restored["message"] and "from the KV state" not in restored["message"]


def edit_manifest(name: str, edit) -> None:
    path = SnapshotStore().folder / f"{name}.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def test_run_resume_and_show_on_a_damaged_manifest_end_in_one_line(saved):
    edit_manifest("trip", lambda m: m.update(created=1e300))
    for args in (("run", "--resume", "trip", "--prompt", "Hello"), ("snapshots", "show", "trip"),
                 ("snapshots", "export", "trip")):
        proc = run_cli(*args)
        assert proc.returncode == 2, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("contextwatch: error: snapshot 'trip' is corrupt: created must be between 0 and ")
        assert line.endswith("got 1e+300")


def test_token_ids_beyond_the_vocabulary(model_path, saved):
    n_vocab = saved.engine.info.n_vocab

    def beyond(manifest):
        manifest["kv"]["token_ids"][-1] = n_vocab + 5

    edit_manifest("trip", beyond)
    [damaged] = SnapshotStore().listing().damaged
    assert "beyond the vocabulary" in damaged.reason
    edit_manifest("trip", lambda m: m["model"].pop("n_vocab"))  # as a snapshot of an earlier version
    fresh = new_session(model_path)
    try:
        restored = fresh.restore_snapshot("trip")
        assert restored.kv_restored is False
        assert f"its token ids go beyond the model's vocabulary of {n_vocab:,}" in restored.message
        assert fresh.engine.cached_ids() == conversation_ids(fresh)
    finally:
        fresh.close()

"""Saved files and imported text are untrusted: each kind of damage ends in one clear line,
is listed with its reason, and never hides or breaks the files beside it. No model is loaded."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

import pytest

from app.core.config.paths import data_dir
from app.core.config.profiles import ProfileError, load_profiles
from app.core.conversations.autosave import Autosave
from app.core.conversations.conversation import Conversation
from app.core.conversations.history_file import load_history
from app.core.conversations.store import ConversationError, ConversationStore
from app.core.errors import UsageError
from app.core.growth.claude_import import import_claude_logs
from app.core.growth.records import TurnRecord
from app.core.growth.store import GrowthStore
from app.core.snapshots.store import SnapshotError, SnapshotStore, check_name

DEEP = "[" * 100_000 + "]" * 100_000


def manifest(name: str, **changes) -> dict:
    base = {
        "name": name, "created": 1_700_000_000.0,
        "model": {"path": "/models/m.gguf", "name": "M", "size": 10, "sha256": "0" * 64, "n_vocab": 100},
        "n_ctx": 8, "cache": {"type_k": "f16", "type_v": "f16"}, "sampling": {"temperature": 0.0},
        "conversation": {"messages": [{"role": "user", "content": "hi"}], "checkpoints": []},
        "metrics": {"turns": 1}, "kv": {"n_tokens": 3, "token_ids": [1, 2, 3]},
    }
    return {**base, **changes}


def save_good(store: SnapshotStore, name: str = "good") -> None:
    store.save(manifest(name), b"kv state")


def damage(store: SnapshotStore, name: str, edit) -> None:
    path = store.folder / f"{name}.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))


def set_in(*keys_and_value):
    *keys, value = keys_and_value

    def edit(data):
        target = data
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value
    return edit


MANIFEST_DAMAGE = [
    ("a number where a path belongs", set_in("model", "path", 5), "model.path must be text"),
    ("a name that is a number", set_in("model", "name", 5), "model.name must be text"),
    ("a time no clock shows", set_in("created", 1e300), "created must be between"),
    ("not a number", set_in("created", float("nan")), "NaN is not a number JSON allows"),
    ("ids beyond the vocabulary", set_in("kv", "token_ids", [1, 2, 100]), "beyond the vocabulary"),
    ("more ids than the context", set_in("kv", "token_ids", list(range(9))), "more than 8"),
    ("a negative id", set_in("kv", "token_ids", [1, -2, 3]), "not a token id"),
    ("a count that disagrees", set_in("kv", "n_tokens", 2), "kv.n_tokens is 2"),
    ("a missing key", lambda d: d.pop("sampling"), "'sampling' is missing"),
    ("an n_ctx of zero", set_in("n_ctx", 0), "n_ctx must be between"),
    ("a role that is a list", set_in("conversation", "messages", [{"role": [], "content": "x"}]), "string role"),
    ("a pin given as a string", set_in("conversation", "messages", [{"role": "user", "content": "x", "pinned": "no"}]),
     "pinned must be true or false"),
    ("checkpoints that are a number", set_in("conversation", "checkpoints", 5), "checkpoints must be a list"),
    ("a checkpoint with an infinite count",
     set_in("conversation", "checkpoints", [{"strategy": "s", "messages": [], "tokens_before": 1e400,
                                             "tokens_after": 1, "time": 1.0}]), "Infinity is not a number JSON allows"),
    ("metrics that do not format", set_in("conversation", "messages",
                                          [{"role": "assistant", "content": "x", "metrics": {"ttft_ms": "fast"}}]),
     "ttft_ms must be a number"),
    ("a lone surrogate", set_in("conversation", "messages", [{"role": "user", "content": "\ud800"}]),
     "not valid Unicode"),
    ("deep metrics", set_in("metrics", json.loads("[" * 40 + "]" * 40)), "metrics must be an object"),
    ("deep sampling", set_in("sampling", {"a": json.loads("[" * 40 + "]" * 40)}), "nested more than"),
    ("a digest that is not one", set_in("kv", "sha256", 7), "not a SHA-256"),
]


@pytest.mark.parametrize("what, edit, words", MANIFEST_DAMAGE, ids=[d[0] for d in MANIFEST_DAMAGE])
def test_a_damaged_manifest_is_listed_with_its_reason_and_hides_nothing(what, edit, words):
    store = SnapshotStore()
    save_good(store)
    save_good(store, "bad")
    damage(store, "bad", edit)
    listing = store.listing()
    assert [i.name for i in listing.infos] == ["good"]
    [damaged] = listing.damaged
    assert damaged.file_name == "bad.json" and words in damaged.reason
    with pytest.raises(SnapshotError, match="is corrupt"):
        store.read_manifest("bad")


@pytest.mark.parametrize("raw, words", [(DEEP, "nested too deeply"), ("1" * 5000, "Exceeds the limit"),
                                        ("[1, 2]", "not a JSON object")], ids=["deep", "digits", "list"])
def test_manifests_that_break_the_parser_are_damaged(raw, words):
    store = SnapshotStore()
    save_good(store)
    (store.folder / "deep.json").write_text(raw)
    listing = store.listing()
    assert [i.name for i in listing.infos] == ["good"]
    assert words in listing.damaged[0].reason


def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app", *args], capture_output=True, text=True, timeout=120,
                          input=stdin)


def one_line(proc: subprocess.CompletedProcess, code: int, words: str) -> None:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert words in proc.stderr


def test_the_snapshots_commands_on_a_damaged_manifest():
    store = SnapshotStore()
    save_good(store)
    save_good(store, "bad")
    damage(store, "bad", set_in("created", 1e300))
    for action in (("show", "bad"), ("show", "bad", "--json"), ("export", "bad"), ("export", "bad", "--format", "json")):
        one_line(cli("snapshots", *action), 2, "snapshot 'bad' is corrupt: created must be between")
    listed = cli("snapshots", "list", "--json")
    assert listed.returncode == 0
    assert [e["name"] for e in json.loads(listed.stdout)] == ["good"]
    assert listed.stderr.startswith("contextwatch: warning: bad.json is damaged: ") and "created" in listed.stderr
    assert "good" in cli("snapshots", "list").stdout
    assert cli("snapshots", "delete", "bad").returncode == 0
    assert store.listing().damaged == ()


@pytest.mark.parametrize("name", ["", "trip\n", "a b", "x" * 65, "../x", "name.json"])
def test_a_bad_snapshot_name_is_refused(name):
    with pytest.raises(SnapshotError, match="invalid snapshot name"):
        check_name(name)


@pytest.mark.parametrize("flag", ["--save-snapshot", "--resume"])
@pytest.mark.parametrize("name", ["", "trip\n", "a/b"])
def test_run_checks_snapshot_names_before_any_work(flag, name):
    started = time.monotonic()
    proc = cli("run", "--prompt", "hi", flag, name)
    one_line(proc, 2, "invalid snapshot name")
    assert time.monotonic() - started < 20
    assert not (data_dir() / "growth.sqlite3").exists(), "no turn was recorded"


@pytest.mark.model
def test_run_resume_refuses_a_damaged_manifest_before_the_model_loads():
    store = SnapshotStore()
    save_good(store, "bad")
    damage(store, "bad", set_in("kv", "token_ids", "many"))
    proc = cli("run", "--prompt", "hi", "--resume", "bad")
    one_line(proc, 2, "snapshot 'bad' is corrupt: kv.token_ids must be a list")
    assert not (data_dir() / "growth.sqlite3").exists()


# ----- conversation files and the autosave of earlier versions

def conversation_file(store: ConversationStore, conversation_id: str, **changes) -> None:
    data = {"format_version": 1, "id": conversation_id, "title": "t", "created": 1000.0, "updated": 1000.0,
            "model": "/m.gguf", "n_ctx": 2048, "finished": False, "renamed": False, "in_flight": None,
            "conversation": {"messages": [{"role": "user", "content": "hello"}], "checkpoints": []}}
    store.path(conversation_id).write_text(json.dumps({**data, **changes}))


@pytest.mark.parametrize("changes, words", [
    ({"finished": "no"}, "finished must be true or false"),
    ({"renamed": 1}, "renamed must be true or false"),
    ({"updated": 1e300}, "updated must be between"),
    ({"n_ctx": -5}, "n_ctx must be between"),
    ({"in_flight": 7}, "in_flight must be text"),
    ({"conversation": {"messages": [{"role": "user", "content": "x", "summary": "yes"}]}}, "summary must be true"),
    ({"conversation": {"messages": [], "checkpoints": [["x"]]}}, "checkpoint 0 must be an object"),
])
def test_a_damaged_conversation_file_is_listed_and_the_others_stay(changes, words):
    store = ConversationStore()
    conversation_file(store, "20250101-000000-aaaaaa")
    conversation_file(store, "20250101-000000-bbbbbb", **changes)
    listing = store.list()
    assert [r.id for r in listing.records] == ["20250101-000000-aaaaaa"]
    [damaged] = listing.damaged
    assert damaged.file_name == "20250101-000000-bbbbbb.json" and words in damaged.reason
    autosave = Autosave(store)
    assert autosave.pending()["id"] == "20250101-000000-aaaaaa"
    assert autosave.notices == ["1 conversation file is damaged: the conversation list shows why"]


def test_a_conversation_file_nested_too_deeply_is_damaged():
    store = ConversationStore()
    store.path("20250101-000000-cccccc").write_text(DEEP)
    with pytest.raises(ConversationError, match="nested too deeply"):
        store.load("20250101-000000-cccccc")
    assert "nested too deeply" in store.list().damaged[0].reason


def test_a_damaged_autosave_of_an_earlier_version_is_set_aside_with_a_notice():
    legacy = data_dir() / "autosave.json"
    legacy.write_text(json.dumps({"saved": 1000.0, "finished": "no", "conversation": {"messages": []}}))
    autosave = Autosave()
    assert autosave.pending() is None
    assert not legacy.exists() and (data_dir() / "autosave.json.damaged").exists()
    [notice] = autosave.notices
    assert "finished must be true or false" in notice and "moved aside" in notice
    again = Autosave()
    assert again.pending() is None and again.notices == []  # once, not on every start


def test_a_lone_surrogate_never_stops_a_save_half_way():
    conversation = Conversation()
    conversation.append("user", "bad \udcff text")
    store = SnapshotStore()
    store.save(manifest("odd", conversation=conversation.state_json()), b"kv state")
    assert store.read_manifest("odd")["conversation"]["messages"][0]["content"] == "bad ? text"
    assert len(list(store.folder.glob("odd.*.kv"))) == 1


# ----- history and profile files

@pytest.mark.parametrize("content, words", [
    ('[{"role": "user", "content": "\\ud800"}]', "not valid Unicode"),
    ('[{"role": "user", "content": "x", "pinned": "no"}]', "pinned must be true or false"),
    (DEEP, "nested too deeply"),
    ("[" + "1" * 5000 + "]", "Exceeds the limit"),
], ids=["surrogate", "pinned-string", "deep", "digits"])
def test_history_files_that_were_accepted_or_crashed(tmp_path, content, words):
    path = tmp_path / "h.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=words):
        load_history(path)


@pytest.mark.model
def test_run_with_a_surrogate_in_the_history_exits_with_one_line_and_writes_nothing(tmp_path):
    path = tmp_path / "h.json"
    path.write_text('[{"role": "user", "content": "\\udcff"}]')
    one_line(cli("run", "--prompt", "hi", "--history", str(path), "--save-snapshot", "s"), 2, "not valid Unicode")
    assert not (data_dir() / "snapshots").exists() or not any((data_dir() / "snapshots").iterdir())


@pytest.mark.model
def test_a_profile_file_nested_too_deeply(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(DEEP)
    with pytest.raises(ProfileError, match="nested too deeply"):
        load_profiles(path)
    one_line(cli("run", "--prompt", "hi", "--profile", str(path)), 2, "nested too deeply")


# ----- growth import and the growth database

def usage_line(n: int, **usage) -> str:
    counts = {"input_tokens": 100, "output_tokens": 10, **usage}
    return json.dumps({"type": "assistant", "sessionId": "s", "uuid": f"u{n}", "timestamp": f"2025-03-01T10:0{n}:00Z",
                       "message": {"id": f"m{n}", "model": "claude", "usage": counts}})


@pytest.mark.parametrize("usage", [{"input_tokens": 10**30}, {"output_tokens": -1}, {"input_tokens": True},
                                   {"cache_read_input_tokens": 1.5}, {"cache_creation_input_tokens": "9"}])
def test_an_absurd_token_count_is_one_malformed_line(tmp_path, usage):
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join([usage_line(1), usage_line(2, **usage), usage_line(3), DEEP,
                              usage_line(4).replace('"s"', '"\\ud800"')]) + "\n")
    with GrowthStore() as store:
        report = import_claude_logs(store, [log])
        assert (report.imported, report.malformed) == (2, 3)


def test_a_time_before_1970_is_a_malformed_line_and_the_reports_still_read(tmp_path):
    log = tmp_path / "log.jsonl"
    log.write_text(usage_line(1) + "\n" + usage_line(2).replace("2025-03-01T10:02:00Z", "0001-01-01T00:00:00Z") + "\n")
    with GrowthStore() as store:
        assert import_claude_logs(store, [log]).malformed == 1
        assert len(store.top_growth()) == 1


def test_a_growth_database_with_text_for_a_number_says_so_in_one_line():
    with GrowthStore() as store:
        session = store.start_session("m", 2048)
        store.record_turn(session, TurnRecord("hi", time.time(), "m", 2048, 10, 5, 0, 15))
    with sqlite3.connect(data_dir() / "growth.sqlite3") as conn:
        conn.execute("UPDATE turns SET growth = 'lots'")
    one_line(cli("growth"), 2, "turn 1: growth must be a whole number")
    one_line(cli("stats"), 2, "statistics: largest growth must be a whole number")


def test_a_history_file_too_large_is_refused_before_it_is_read(tmp_path, monkeypatch):
    import app.core.conversations.history_file as history_file

    path = tmp_path / "h.json"
    path.write_text('[{"role": "user", "content": "' + "x" * 2000 + '"}]')
    monkeypatch.setattr(history_file, "HISTORY_LIMIT", 1000)
    with pytest.raises(UsageError, match="too large"):
        load_history(path)


def test_bytes_that_are_not_utf8_in_the_prompt_flag_become_replacement_characters():
    import os

    from app.commands.run import read_prompt

    assert read_prompt(os.fsdecode(b"hi \xff there")) == "hi \ufffd there"
    assert read_prompt("plain") == "plain"


def test_a_log_whose_file_name_is_not_utf8_imports(tmp_path):
    import os

    log = os.fsdecode(os.fsencode(tmp_path) + b"/log-\xff.jsonl")
    with open(log, "w") as fh:
        fh.write(usage_line(1).replace('"sessionId": "s", ', "") + "\n")
    with GrowthStore() as store:
        assert import_claude_logs(store, [tmp_path]).imported == 1
        assert store.sessions()[0].external_id == "log-\ufffd"

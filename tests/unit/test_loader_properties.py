"""Property tests of the loaders of saved and imported files (snapshot manifests, conversation
files, history files, growth import lines, profile files): whatever the file holds, each one
either loads it or raises the product's own error (a `ContextWatchError`), never anything else;
and what loads can be shown and exported."""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.commands.snapshots import snapshots_command
from app.core.config.paths import data_dir
from app.core.config.profiles import default_profiles_path, load_profiles, resolve_context
from app.core.conversations.conversation import Conversation
from app.core.conversations.history_file import load_history
from app.core.conversations.store import ConversationRecord, ConversationStore, title_from
from app.core.conversations.transcript import to_json, to_markdown
from app.core.errors import ContextWatchError
from app.core.files.json_io import json_bytes
from app.core.growth.claude_import import import_claude_logs, parse_file
from app.core.growth.store import GrowthStore
from app.core.snapshots.store import SnapshotStore, info_of

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

any_text = st.text(st.characters(exclude_categories=()), max_size=12)
scalars = (st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.floats(allow_nan=True, allow_infinity=True)
           | any_text)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
                           max_leaves=12)


def written(name: str, raw: bytes) -> Path:
    path = data_dir() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    return path


@st.composite
def mutated(draw, base: dict) -> dict:
    """`base` with one to three values somewhere inside it replaced by any JSON, or removed."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        target = doc
        while isinstance(target, (dict, list)) and target:
            key = draw(st.sampled_from(list(target) if isinstance(target, dict) else range(len(target))))
            child = target[key]
            if isinstance(child, (dict, list)) and child and draw(st.booleans()):
                target = child
                continue
            if draw(st.integers(0, 4)) == 0:
                del target[key]
            else:
                target[key] = draw(json_values)
            break
    return doc


def conversation() -> Conversation:
    conv = Conversation.with_system("Be brief.")
    conv.append("user", "What is a KV cache?")
    conv.append("assistant", "Keys and values.", metrics={"prompt_tokens": 20, "generated_tokens": 4, "ttft_ms": 12.5,
                                                          "decode_tps": 80.0, "reused": 0, "evaluated": 20,
                                                          "context_after": 24, "stop_reason": "eog"})
    conv.apply_compression("summarize", conv.messages[:2], 24, 10)
    return conv


MANIFEST = {
    "format_version": 1, "name": "prop", "created": 1_700_000_000.0,
    "model": {"path": "/models/m.gguf", "name": "M", "size": 10, "sha256": "0" * 64, "n_vocab": 100},
    "n_ctx": 16, "cache": {"type_k": "f16", "type_v": "f16"}, "sampling": {"temperature": 0.0, "seed": 1},
    "conversation": conversation().state_json(), "metrics": {"turns": 1, "compression": {"runs": 1}},
    "kv": {"n_tokens": 3, "token_ids": [1, 2, 3], "file": "prop.0123456789abcdef.kv", "bytes": 8, "sha256": "1" * 64},
}


def manifest_or_own_error(data: object) -> None:
    store = SnapshotStore()
    (store.folder / "prop.json").write_text(json.dumps(data))
    try:
        manifest = store.read_manifest("prop")
    except ContextWatchError:
        return
    info = info_of(manifest)
    assert isinstance(info.model_name, str) and isinstance(info.created, float | int)
    to_markdown(manifest).encode("utf-8")
    to_json(manifest).encode("utf-8")
    assert [i.name for i in store.list()] == ["prop"]
    out = data_dir() / "export.out"
    for args in (dict(action="show", json=False), dict(action="show", json=True), dict(action="list", json=False),
                 dict(action="export", format="md", output=str(out)), dict(action="export", format="json", output=str(out))):
        assert snapshots_command(argparse.Namespace(name="prop", **args)) == 0


@SETTINGS
@given(mutated(MANIFEST))
def test_a_mutated_manifest_loads_or_is_refused(data):
    manifest_or_own_error(data)


@SETTINGS
@given(json_values)
def test_any_json_as_a_manifest_loads_or_is_refused(data):
    manifest_or_own_error(data)


RECORD = ConversationRecord(id="20250101-000000-abcdef", title="t", created=1000.0, updated=1000.0, model="/m.gguf",
                            n_ctx=2048, conversation=conversation(), in_flight="part", origin="snapshot x").to_json()


@SETTINGS
@given(mutated(RECORD))
def test_a_mutated_conversation_file_loads_or_is_refused(data):
    store = ConversationStore()
    store.path(RECORD["id"]).write_text(json.dumps(data))
    try:
        record = store.load(RECORD["id"])
    except ContextWatchError:
        assert len(store.list().damaged) == 1
        return
    json_bytes(record.to_json())
    title_from(record.conversation)
    assert record.message_count >= 0


@SETTINGS
@given(mutated(MANIFEST["conversation"]["messages"]) | json_values)
def test_a_history_file_loads_or_is_refused(data):
    path = written("history.json", json.dumps(data).encode())
    try:
        messages = load_history(path)
    except ContextWatchError:
        return
    for message in messages:
        message.content.encode("utf-8")
        assert isinstance(message.pinned, bool) and isinstance(message.summary, bool)


@SETTINGS
@given(st.binary(max_size=64))
def test_any_bytes_as_a_history_file_load_or_are_refused(raw):
    path = written("history.json", raw)
    try:
        load_history(path)
    except ContextWatchError:
        pass


USAGE_LINE = {
    "type": "assistant", "sessionId": "s1", "uuid": "u1", "timestamp": "2025-03-01T10:00:05Z", "isSidechain": False,
    "message": {"id": "m1", "model": "claude", "role": "assistant",
                "usage": {"input_tokens": 10, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 5,
                          "output_tokens": 7}},
}


@SETTINGS
@given(mutated(USAGE_LINE) | json_values)
def test_a_growth_import_line_is_imported_or_counted_as_malformed(data):
    log = written("log.jsonl", json.dumps(data).encode() + b"\n")
    parsed = parse_file(log)
    assert parsed.malformed + parsed.empty + len(parsed.events) <= 1
    with GrowthStore(data_dir() / "prop.sqlite3") as store:
        report = import_claude_logs(store, [log])
        assert report.imported + report.duplicates + report.malformed + report.empty <= 1 or report.merged
        store.top_growth(limit=None)
        store.session_stats()


PROFILES = json.loads(default_profiles_path().read_text())


@SETTINGS
@given(mutated(PROFILES))
def test_a_mutated_profile_file_loads_or_is_refused(data):
    path = written("profiles.json", json.dumps(data).encode())
    try:
        book = load_profiles(path)
    except ContextWatchError:
        return
    for n_ctx in (512, 2048, 5000):
        resolve_context(book, book.match("SmolLM2", "smollm2", "llama")[0], n_ctx)

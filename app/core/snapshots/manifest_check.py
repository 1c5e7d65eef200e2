"""Field-by-field check of a snapshot manifest read from disk, before anything uses it.

A manifest passes only with every field the product reads present, of its type and in range:
times a clock can show, an `n_ctx` a model can have, token ids a vocabulary can hold and no
more of them than the context, a conversation that loads, and free-form sections (sampling,
metrics) shallow enough to print. Anything else raises `FieldError` with the field's name.
"""

from __future__ import annotations

import re

from app.core.conversations.conversation import Conversation
from app.core.files import field_checks as fields
from app.core.limits import MAX_N_CTX

MAX_TOKEN_ID = 2**31 - 1  # llama.cpp token ids are 32-bit
MAX_BLOB_BYTES = 1 << 40
MAX_DEPTH = 32
_SHA256 = re.compile(r"[0-9a-f]{64}")
_REQUIRED = ("format_version", "name", "created", "model", "n_ctx", "cache", "sampling", "conversation",
             "metrics", "kv")


def check_manifest(raw: object, blob_ok) -> dict:
    """The manifest, checked; `blob_ok(file_name)` says whether a KV file name belongs to it."""
    manifest = fields.mapping(raw, "the manifest")
    missing = [key for key in _REQUIRED if key not in manifest]
    if missing:
        raise fields.FieldError(f"field {missing[0]!r} is missing")
    fields.integer(manifest["format_version"], "format_version", 1)
    fields.text(manifest["name"], "name", 64)
    fields.timestamp(manifest["created"], "created")
    n_ctx = fields.integer(manifest["n_ctx"], "n_ctx", 1, MAX_N_CTX)
    n_vocab = _check_model(manifest["model"])
    for key in ("cache", "sampling", "metrics"):
        _shallow(fields.mapping(manifest[key], key), key)
    Conversation.from_state_json(fields.mapping(manifest["conversation"], "conversation"), "conversation")
    _check_kv(fields.mapping(manifest["kv"], "kv"), n_ctx, n_vocab, blob_ok)
    return manifest


def _check_model(raw: object) -> int | None:
    """The model section; returns its vocabulary size when the manifest records one."""
    model = fields.mapping(raw, "model")
    on_server = "server_model" in model
    for key in ("name", "path", "sha256", "server_model"):
        if key in model and not (key == "sha256" and on_server and model[key] is None):
            fields.text(model[key], f"model.{key}", 4096)
    if "size" in model:
        fields.integer(model["size"], "model.size")
    _shallow(model, "model")
    if "n_vocab" not in model:
        return None
    return fields.integer(model["n_vocab"], "model.n_vocab", 1, MAX_TOKEN_ID)


def _check_kv(kv: dict, n_ctx: int, n_vocab: int | None, blob_ok) -> None:
    ids = fields.sequence(kv.get("token_ids"), "kv.token_ids", n_ctx)
    highest = (n_vocab - 1) if n_vocab is not None else MAX_TOKEN_ID
    for i, token in enumerate(ids):
        if isinstance(token, bool) or not isinstance(token, int) or not 0 <= token <= highest:
            beyond = " (beyond the vocabulary)" if isinstance(token, int) and n_vocab is not None else ""
            raise fields.FieldError(f"kv.token_ids[{i}] is {fields.shown(token)}, not a token id{beyond}")
    if fields.integer(kv.get("n_tokens"), "kv.n_tokens", 0, n_ctx) != len(ids):
        raise fields.FieldError(f"kv.n_tokens is {kv['n_tokens']} but kv.token_ids lists {len(ids)}")
    if kv.get("file") is None:
        fields.text(kv.get("reason"), "kv.reason (why there is no KV state)", 1000)
        if ids or kv.get("bytes") != 0:
            raise fields.FieldError("it has no KV file yet lists a KV state")
        return
    if not isinstance(kv["file"], str) or not blob_ok(kv["file"]):
        raise fields.FieldError("it points at a KV file outside its own name")
    fields.integer(kv.get("bytes"), "kv.bytes", 1, MAX_BLOB_BYTES)
    if not isinstance(kv.get("sha256"), str) or not _SHA256.fullmatch(kv["sha256"]):
        raise fields.FieldError("kv.sha256 is not a SHA-256 digest")


def _shallow(value: object, what: str) -> None:
    """Nested no deeper than MAX_DEPTH, with valid text throughout; walked without recursion."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise fields.FieldError(f"{what} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(item, dict):
            stack.extend((k, depth + 1) for k in item)
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
        elif isinstance(item, str):
            fields.valid_unicode(item, what)

"""A model's identity for snapshots: path, size and a content hash, hashed once and cached."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from app.core.config.paths import data_dir
from app.core.config.settings import write_private
from app.core.errors import UsageError
from app.core.files.json_io import parse_json

CACHE_NAME = "fingerprints.json"
_CHUNK = 4 * 1024 * 1024


def _cache_path() -> Path:
    return data_dir() / CACHE_NAME


def _read_cache() -> dict:
    try:
        data = parse_json(_cache_path().read_bytes())
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError, UsageError):  # UsageError: the data folder cannot be made
        return {}


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def model_fingerprint(path: Path) -> dict:
    """{"path", "size", "sha256"}; the hash is reused while size and mtime are unchanged."""
    path = Path(path).resolve()
    stat = path.stat()
    key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    cache = _read_cache()
    digest = cache.get(key)
    if not isinstance(digest, str):
        digest = content_hash(path)
        cache[key] = digest
        try:
            write_private(_cache_path(), json.dumps(cache, indent=1, allow_nan=False).encode("utf-8"))
        except (OSError, UsageError):
            pass
    return {"path": str(path), "size": stat.st_size, "sha256": digest}


def same_model(a: dict, b: dict) -> bool:
    """Same content hash and size; a model on a server, which has no hash here, by its server and name."""
    if a.get("sha256") is None or b.get("sha256") is None:
        return a.get("server_model") is not None and a.get("path") == b.get("path") and a.get("size") == b.get("size")
    return a.get("sha256") == b.get("sha256") and a.get("size") == b.get("size")


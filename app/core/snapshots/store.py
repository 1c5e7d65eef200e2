"""Snapshots on disk: a JSON manifest plus the raw KV state with its checksum, nothing executable.

Layout: `<data>/snapshots/<name>.json` and `<data>/snapshots/<name>.<hash>.kv`, both 0600.
The blob is written first under a name of its own content, then the manifest that points at it
replaces the old one: a crash at any moment leaves either the old snapshot or the new one whole.
Names are restricted to a safe alphabet, so nothing read from a manifest can point outside
the snapshots folder. A manifest is checked field by field (`manifest_check`) before anything
reads it; one that fails is listed as damaged with the reason, beside the others. A snapshot
whose KV cache did not hold its conversation has no blob: its manifest's `kv` section says why
(`reason`), and a restore re-evaluates the conversation.
"""

from __future__ import annotations

import glob
import hashlib
import re
import time
from dataclasses import dataclass
from pathlib import Path

from app.core.config.paths import data_dir, ensure_private_dir
from app.core.config.settings import write_private
from app.core.errors import UsageError
from app.core.files.field_checks import DamagedFile
from app.core.files.json_io import json_bytes, parse_json
from app.core.snapshots.manifest_check import check_manifest

FORMAT_VERSION = 1
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_MANIFEST_BYTES = 256 * 1024 * 1024


class SnapshotError(UsageError):
    """A snapshot that cannot be used: missing, corrupt, truncated, or from a newer version."""


@dataclass(frozen=True)
class SnapshotInfo:
    name: str
    created: float
    model_name: str
    n_ctx: int
    tokens: int
    messages: int
    bytes: int
    kv_reason: str | None = None  # why the snapshot has no KV state


@dataclass(frozen=True)
class SnapshotListing:
    infos: tuple[SnapshotInfo, ...]  # newest first
    damaged: tuple[DamagedFile, ...]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or name.endswith((".json", ".kv", ".tmp")):
        raise SnapshotError(
            f"invalid snapshot name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def blob_name_ok(name: str, file_name: str) -> bool:
    """A blob belongs to `name` only as `<name>.<16 hex>.kv`: never a path, never another name's."""
    return re.fullmatch(re.escape(name) + r"\.[0-9a-f]{16}\.kv", file_name) is not None


def default_name() -> str:
    return time.strftime("session-%Y%m%d-%H%M%S")


class SnapshotStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = ensure_private_dir(folder or data_dir() / "snapshots")

    def _manifest_path(self, name: str) -> Path:
        return self.folder / f"{check_name(name)}.json"

    def _blobs(self, name: str) -> list[Path]:
        return [p for p in self.folder.glob(f"{glob.escape(check_name(name))}.*.kv") if blob_name_ok(name, p.name)]

    def exists(self, name: str) -> bool:
        return self._manifest_path(name).exists()

    def save(self, manifest: dict, blob: bytes | None) -> Path:
        """Write the KV blob, then the manifest that vouches for it; each atomically.

        Without a blob, `manifest["kv"]["reason"]` says why the snapshot has no KV state.
        """
        name = check_name(manifest["name"])
        manifest_path = self._manifest_path(name)
        manifest = dict(manifest, format_version=FORMAT_VERSION)
        if blob is None:
            blob_path = None
            manifest["kv"] = dict(manifest["kv"], n_tokens=0, token_ids=[], file=None, bytes=0, sha256=None)
        else:
            digest = hashlib.sha256(blob).hexdigest()
            blob_path = self.folder / f"{name}.{digest[:16]}.kv"
            manifest["kv"] = dict(manifest["kv"], file=blob_path.name, bytes=len(blob), sha256=digest)
            manifest["kv"].pop("reason", None)
        manifest_bytes = json_bytes(manifest, indent=1)
        try:
            if blob_path is not None and blob is not None:
                write_private(blob_path, blob)
            write_private(manifest_path, manifest_bytes)
        except OSError as err:
            if blob_path is not None and (not manifest_path.exists()
                                          or blob_path.name not in manifest_path.read_text("utf-8", "replace")):
                blob_path.unlink(missing_ok=True)
            raise SnapshotError(f"could not write snapshot {name!r}: {err.strerror or err}") from None
        for stale in self._blobs(name):
            if stale != blob_path:
                stale.unlink(missing_ok=True)
        return manifest_path

    def read_manifest(self, name: str) -> dict:
        manifest_path = self._manifest_path(name)
        try:
            size = manifest_path.stat().st_size
            if size > MAX_MANIFEST_BYTES:
                raise SnapshotError(f"snapshot {name!r} is corrupt: its manifest has {size:,} bytes, "
                                    f"more than {MAX_MANIFEST_BYTES:,}")
            raw = manifest_path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"no snapshot named {name!r}") from None
        except OSError as err:
            raise SnapshotError(f"cannot read snapshot {name!r}: {err.strerror}") from None
        try:
            manifest = parse_json(raw)
        except ValueError as err:  # bytes that are not UTF-8, or not JSON
            raise SnapshotError(f"snapshot {name!r} is corrupt: its manifest is not valid JSON ({err})") from None
        return validate_manifest(manifest, name)

    def load(self, name: str, with_blob: bool = True) -> tuple[dict, bytes | None]:
        manifest = self.read_manifest(name)
        if not with_blob or manifest["kv"]["file"] is None:
            return manifest, None
        blob_path = self.folder / manifest["kv"]["file"]
        kv = manifest["kv"]
        try:
            size = blob_path.stat().st_size
            if size != kv["bytes"]:
                raise SnapshotError(f"snapshot {name!r} is truncated: KV state has {size} of {kv['bytes']} bytes")
            blob = blob_path.read_bytes()
        except FileNotFoundError:
            raise SnapshotError(f"snapshot {name!r} is incomplete: its KV state file is missing") from None
        except OSError as err:
            raise SnapshotError(f"cannot read the KV state of snapshot {name!r}: {err.strerror or err}") from None
        if len(blob) != kv["bytes"]:
            raise SnapshotError(f"snapshot {name!r} is truncated: KV state has {len(blob)} of {kv['bytes']} bytes")
        if hashlib.sha256(blob).hexdigest() != kv["sha256"]:
            raise SnapshotError(f"snapshot {name!r} is corrupt: the KV state does not match its checksum")
        return manifest, blob

    def listing(self) -> SnapshotListing:
        """Every snapshot that can be read, and every manifest that cannot, with the reason."""
        infos, damaged = [], []
        for path in sorted(self.folder.glob("*.json")):
            try:
                infos.append(info_of(self.read_manifest(path.stem)))
            except SnapshotError as err:
                damaged.append(DamagedFile(path.name, str(err)))
        infos.sort(key=lambda i: i.created, reverse=True)
        return SnapshotListing(tuple(infos), tuple(damaged))

    def list(self) -> list[SnapshotInfo]:
        return list(self.listing().infos)

    def latest(self) -> SnapshotInfo | None:
        infos = self.list()
        return infos[0] if infos else None

    def delete(self, name: str) -> None:
        manifest_path = self._manifest_path(name)
        blobs = self._blobs(name)
        if not manifest_path.exists() and not blobs:
            raise SnapshotError(f"no snapshot named {name!r}")
        manifest_path.unlink(missing_ok=True)
        for path in blobs:
            path.unlink(missing_ok=True)

    def rename(self, old: str, new: str) -> None:
        manifest, blob = self.load(old)
        if self.exists(new):
            raise SnapshotError(f"a snapshot named {new!r} already exists")
        manifest["name"] = check_name(new)
        self.save(manifest, blob)
        self.delete(old)


def info_of(manifest: dict) -> SnapshotInfo:
    return SnapshotInfo(
        name=manifest["name"], created=manifest["created"],
        model_name=manifest["model"].get("name", Path(manifest["model"].get("path", "?")).name),
        n_ctx=manifest["n_ctx"], tokens=manifest["kv"]["n_tokens"],
        messages=len(manifest["conversation"]["messages"]), bytes=manifest["kv"]["bytes"],
        kv_reason=manifest["kv"].get("reason"),
    )


def validate_manifest(manifest: object, name: str) -> dict:
    if not isinstance(manifest, dict):
        raise SnapshotError(f"snapshot {name!r} is corrupt: its manifest is not a JSON object")
    version = manifest.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise SnapshotError(
            f"snapshot {name!r} has format version {version}, newer than this ContextWatch reads ({FORMAT_VERSION}): "
            "upgrade ContextWatch to restore it"
        )
    try:
        check_manifest(manifest, lambda file_name: blob_name_ok(name, file_name))
    except UsageError as err:
        raise SnapshotError(f"snapshot {name!r} is corrupt: {err}") from None
    if manifest["name"] != name:
        raise SnapshotError(f"snapshot {name!r} is corrupt: its manifest names {manifest['name']!r}")
    return manifest

"""Check that a path is a readable GGUF file before llama.cpp sees it, and read its metadata header."""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Any, BinaryIO

from app.core.errors import UsageError

GGUF_MAGIC = b"GGUF"
_MIN_HEADER = 24  # magic, version, tensor count, metadata count


def check_gguf(path: Path) -> int:
    """Return the file size, or raise UsageError saying exactly what is wrong."""
    if not path.exists():
        raise UsageError(f"model not found: {path}")
    if path.is_dir():
        raise UsageError(f"model path is a directory, not a GGUF file: {path}")
    if not os.access(path, os.R_OK):
        raise UsageError(f"model file is not readable: {path}")
    size = path.stat().st_size
    if size == 0:
        raise UsageError(f"model file is empty: {path}")
    try:
        with open(path, "rb") as fh:
            header = fh.read(_MIN_HEADER)
    except OSError as err:
        raise UsageError(f"cannot read model file {path}: {err.strerror}") from None
    if header[:4] != GGUF_MAGIC:
        raise UsageError(f"not a GGUF model file (bad magic bytes): {path}")
    if len(header) < _MIN_HEADER:
        raise UsageError(f"truncated GGUF file (header incomplete): {path}")
    version = struct.unpack("<I", header[4:8])[0]
    if version not in (2, 3):
        raise UsageError(f"unsupported GGUF version {version}: {path}")
    return size


# GGUF metadata value types: struct formats of the scalars; 8 is a string, 9 an array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9
MAX_METADATA_BYTES = 256 << 20  # a vocabulary of a million tokens fits; a corrupt count does not run on
MAX_STRING_BYTES = 64 << 20


class _Header:
    """A forward-only reader of a GGUF header that refuses to run past the file or the metadata cap."""

    def __init__(self, fh: BinaryIO, path: Path, size: int) -> None:
        self.fh, self.path, self.size = fh, path, size

    def _bad(self, what: str) -> UsageError:
        return UsageError(f"damaged GGUF header ({what}): {self.path}")

    def _take(self, n: int) -> bytes:
        if self.fh.tell() + n > MAX_METADATA_BYTES:
            raise self._bad(f"metadata past the first {MAX_METADATA_BYTES >> 20} MiB")
        data = self.fh.read(n)
        if len(data) != n:
            raise self._bad("it ends inside the metadata")
        return data

    def _skip(self, n: int) -> None:
        where = self.fh.tell() + n
        if where > min(self.size, MAX_METADATA_BYTES):
            raise self._bad("it ends inside the metadata")
        self.fh.seek(n, os.SEEK_CUR)

    def scalar(self, fmt: str) -> Any:
        return struct.unpack("<" + fmt, self._take(struct.calcsize(fmt)))[0]

    def string(self) -> str:
        n = self.scalar("Q")
        if n > MAX_STRING_BYTES:
            raise self._bad(f"a string of {n} bytes")
        return self._take(n).decode("utf-8", "replace")

    def value(self, kind: int) -> Any:
        """A scalar or a string; an array is skipped (None): the vocabulary is not needed here."""
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind != _ARRAY:
            raise self._bad(f"unknown value type {kind}")
        item, count = self.scalar("I"), self.scalar("Q")
        if item in _SCALARS:
            self._skip(struct.calcsize(_SCALARS[item]) * count)
        elif item == _STRING:
            for _ in range(count):
                self._skip(self.scalar("Q"))
        else:
            raise self._bad(f"an array of type {item}")
        return None


def read_metadata_header(path: Path) -> dict[str, Any]:
    """The GGUF's scalar and string metadata, read from its header alone (arrays left out).

    Only the key/value section at the start of the file is read, so this costs the same for a
    100 MB model and a 40 GB one. Raises UsageError for a file that is not a readable GGUF.
    """
    size = check_gguf(path)
    try:
        with open(path, "rb") as fh:
            reader = _Header(fh, path, size)
            reader._skip(8)  # magic and version, checked above
            _n_tensors, n_kv = reader.scalar("Q"), reader.scalar("Q")
            meta: dict[str, Any] = {}
            for _ in range(n_kv):
                key = reader.string()
                value = reader.value(reader.scalar("I"))
                if value is not None:
                    meta[key] = value
            return meta
    except OSError as err:
        raise UsageError(f"cannot read model file {path}: {err.strerror}") from None

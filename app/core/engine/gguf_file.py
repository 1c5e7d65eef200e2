"""Check that a path is a readable GGUF file before llama.cpp sees it."""

from __future__ import annotations

import os
import struct
from pathlib import Path

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

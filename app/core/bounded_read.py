"""Read a small file the user controls (config, profile, theme, history) with a size cap.

`Path.read_bytes()` on a 30 MB file, or a symlink to /dev/urandom, takes the process with it:
this reads at most `limit` + 1 bytes and refuses anything bigger.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.core.errors import UsageError
from app.core.formatting import fmt_bytes

CONFIG_LIMIT = 1 << 20  # config.toml, profiles and themes are a few KiB
HISTORY_LIMIT = 32 << 20  # a conversation of a very large context, as JSON


class TooLargeError(UsageError):
    """The file holds more than its cap."""


def read_capped(path: Path, limit: int = CONFIG_LIMIT) -> bytes:
    """The bytes of `path`; TooLargeError if it holds more than `limit`. OSError passes through."""
    with open(path, "rb") as fh:
        try:
            size = os.fstat(fh.fileno()).st_size
        except OSError:
            size = 0
        if size > limit:
            raise TooLargeError(f"{path}: too large ({fmt_bytes(size)}; at most {fmt_bytes(limit)})")
        chunks, total = [], 0
        while total <= limit:
            chunk = fh.read(limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > limit:
        raise TooLargeError(f"{path}: too large (more than {fmt_bytes(limit)})")
    return b"".join(chunks)

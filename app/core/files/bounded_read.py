"""Read a small file the user controls (config, profile, theme, history) with a size cap.

`Path.read_bytes()` on a 30 MB file, or a symlink to /dev/urandom, takes the process with it,
and a named pipe may never answer: this reads at most `limit` + 1 bytes, refuses anything
bigger, and refuses a pipe where only a file makes sense.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from app.core.errors import UsageError
from app.core.formatting import fmt_bytes

CONFIG_LIMIT = 1 << 20  # config.toml, profiles and themes are a few KiB
HISTORY_LIMIT = 32 << 20  # a conversation of a very large context, as JSON


class FileLimitError(UsageError):
    """The file holds more than its cap, or is a pipe where a file is expected; `reason` says which."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


def read_capped(path: Path, limit: int = CONFIG_LIMIT, allow_pipe: bool = False) -> bytes:
    """The bytes of `path`; FileLimitError past `limit` bytes, or for a pipe unless `allow_pipe`
    (`--history <(...)` is one). OSError passes through."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO with no writer would block the open
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fd)
        if stat.S_ISFIFO(info.st_mode) and not allow_pipe:
            raise FileLimitError(path, "a pipe, not a file")
        os.set_blocking(fd, True)
        size = info.st_size
        if size > limit:
            raise FileLimitError(path, f"too large ({fmt_bytes(size)}; at most {fmt_bytes(limit)})")
        chunks, total = [], 0
        while total <= limit:
            chunk = fh.read(limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    if total > limit:
        raise FileLimitError(path, f"too large (more than {fmt_bytes(limit)})")
    return b"".join(chunks)

"""Route llama.cpp's own log into a file in the data folder (never the terminal).

The file is rotated when it passes ROTATE_BYTES (it grew to 28 MB in an afternoon of reloads):
at open, and while writing, it moves to `llama.log.1`, replacing the one old file kept.
"""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_state: dict = {"path": None, "fh": None, "echo": False, "callback": None, "size": 0}
ROTATE_BYTES = 5 << 20


def old_log_path(path: Path) -> Path:
    return path.with_name(path.name + ".1")


def _rotate_if_large(path: Path) -> None:
    try:
        if os.path.getsize(path) > ROTATE_BYTES:
            os.replace(path, old_log_path(path))
    except OSError:
        pass


def _open_file(path: Path) -> None:
    _rotate_if_large(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    os.chmod(path, 0o600)
    _state["fh"] = os.fdopen(fd, "ab", buffering=0)
    _state["size"] = os.fstat(fd).st_size


def install(path: Path, echo: bool = False) -> Path:
    """Send every llama.cpp log line to `path` (mode 0600); echo to stderr when `echo`."""
    open_log(path, echo)
    attach()
    return path


def open_log(path: Path, echo: bool = False) -> Path:
    """Open the log file now (so an unwritable data folder shows at once); `attach` hooks llama.cpp."""
    with _lock:
        if _state["fh"] is not None and _state["path"] != path:
            _state["fh"].close()
            _state["fh"] = None
        if _state["fh"] is None:
            _open_file(path)
        _state["path"] = path
        _state["echo"] = echo
    return path


def attach() -> None:
    """Point llama.cpp's log callback at our file (importing llama_cpp, which takes a moment)."""
    import llama_cpp

    with _lock:
        if _state["callback"] is None:

            @llama_cpp.llama_log_callback
            def _callback(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
                write(text or b"")

            _state["callback"] = _callback
        llama_cpp.llama_log_set(_state["callback"], ctypes.c_void_p(0))


def write(data: bytes) -> None:
    if _state["fh"] is None:
        return
    with _lock:
        try:
            if _state["size"] > ROTATE_BYTES:
                _state["fh"].close()
                _open_file(_state["path"])
            _state["fh"].write(data)
            _state["size"] += len(data)
        except (OSError, ValueError):
            pass
    if _state["echo"] and sys.__stderr__ is not None:
        sys.__stderr__.write(data.decode("utf-8", "replace"))


def mark() -> int:
    """The current end of the log, so a caller can read only what follows."""
    path = _state["path"]
    if path is None:
        return 0
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def text_since(offset: int) -> str:
    path = _state["path"]
    if path is None:
        return ""
    try:
        with open(path, "rb") as fh:
            if offset > os.fstat(fh.fileno()).st_size:
                offset = 0  # rotated since the mark: what is left is what followed it
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


class TextSink:
    """A file-like object for Python-level prints of llama-cpp-python (it prints to sys.stderr)."""

    def write(self, text: str) -> int:
        write(text.encode("utf-8", "replace"))
        return len(text)

    def flush(self) -> None:
        pass

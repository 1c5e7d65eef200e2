"""Route llama.cpp's own log into a file in the data folder (never the terminal)."""

from __future__ import annotations

import ctypes
import os
import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_state: dict = {"path": None, "fh": None, "echo": False, "callback": None}


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
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.chmod(path, 0o600)
            _state["fh"] = os.fdopen(fd, "ab", buffering=0)
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
    fh = _state["fh"]
    if fh is None:
        return
    with _lock:
        try:
            fh.write(data)
        except (OSError, ValueError):
            pass
    if _state["echo"]:
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

"""The running conversation, saved after each message and every few seconds of a reply.

After a crash the file is still marked unfinished, so the next start can offer to resume.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.core.conversation import Conversation
from app.core.errors import UsageError
from app.core.paths import data_dir
from app.core.settings import write_private

AUTOSAVE_NAME = "autosave.json"
IN_FLIGHT_INTERVAL = 2.0


class Autosave:
    def __init__(self, path: Path | None = None, interval: float = IN_FLIGHT_INTERVAL) -> None:
        self.path = path or data_dir() / AUTOSAVE_NAME
        self.interval = interval
        self._last = 0.0

    def save(self, conversation: Conversation, model: str, n_ctx: int, in_flight: str | None = None,
             finished: bool = False) -> None:
        data = {
            "saved": time.time(), "finished": finished, "model": model, "n_ctx": n_ctx,
            "conversation": conversation.state_json(), "in_flight": in_flight,
        }
        write_private(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
        self._last = time.monotonic()

    def due(self) -> bool:
        return time.monotonic() - self._last >= self.interval

    def mark_finished(self) -> None:
        data = self._read()
        if data is not None and not data.get("finished"):
            data["finished"] = True
            write_private(self.path, json.dumps(data, ensure_ascii=False).encode("utf-8"))

    def _read(self) -> dict | None:
        try:
            data = json.loads(self.path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None
        return data if isinstance(data, dict) else None

    def pending(self) -> dict | None:
        """The last session's state when it did not end cleanly, else None."""
        data = self._read()
        if data is None or data.get("finished"):
            return None
        try:
            conversation = Conversation.from_state_json(data.get("conversation"), str(self.path))
        except UsageError:
            return None
        if not any(m.role != "system" for m in conversation.messages) and not data.get("in_flight"):
            return None
        return {"conversation": conversation, "in_flight": data.get("in_flight") or "",
                "saved": data.get("saved"), "model": data.get("model"), "n_ctx": data.get("n_ctx")}

"""Server-sent events read line by line as they arrive: each `data:` line's JSON, malformed lines skipped and counted."""

from __future__ import annotations

import json
from typing import Any

DONE = object()  # the `data: [DONE]` that ends an OpenAI stream


class EventLines:
    def __init__(self) -> None:
        self.malformed = 0
        self.seen = 0

    def parse(self, line: str) -> dict[str, Any] | object | None:
        """One line of the stream: its event's data, DONE, or None for lines that carry none."""
        line = line.rstrip("\r")
        if not line or line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if field != "data":
            if field not in ("event", "id", "retry"):
                self.malformed += 1
            return None
        value = value[1:] if value.startswith(" ") else value
        if value == "[DONE]":
            return DONE
        self.seen += 1
        try:
            data = json.loads(value)
        except ValueError:
            self.malformed += 1
            return None
        if not isinstance(data, dict):
            self.malformed += 1
            return None
        return data

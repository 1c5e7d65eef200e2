"""Read a conversation from a JSON file: a list of {"role", "content"} objects."""

from __future__ import annotations

import json
from pathlib import Path

from app.core.conversations.conversation import Message
from app.core.errors import UsageError
from app.core.files.bounded_read import HISTORY_LIMIT, read_capped
from app.core.files.json_io import parse_json


def load_history(path: Path) -> list[Message]:
    try:
        raw = read_capped(path, HISTORY_LIMIT, allow_pipe=True)
    except FileNotFoundError:
        raise UsageError(f"history file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"history path is a directory: {path}") from None
    except OSError as err:
        raise UsageError(f"cannot read history file {path}: {err.strerror}") from None
    try:
        data = parse_json(raw)
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not valid UTF-8") from None
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(data, list):
        raise UsageError(f"{path}: expected a JSON list of {{\"role\", \"content\"}} objects")
    return [Message.from_json(item, f"{path}: message {i}") for i, item in enumerate(data)]

"""JSON to and from the bytes of our files, whatever the text inside holds.

Reading: nesting too deep for the parser is a `JSONDecodeError` like any other malformed JSON,
never a `RecursionError`. Writing: a lone surrogate (which UTF-8 cannot hold) becomes '?'
instead of failing half way through a save.
"""

from __future__ import annotations

import json


def parse_json(raw: bytes) -> object:
    text = raw.decode("utf-8")
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None


def json_bytes(data: object, indent: int | None = None) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=indent).encode("utf-8", "replace")

"""JSON to and from the bytes of our files, whatever the text inside holds.

Reading: nesting too deep for the parser, or a number with more digits than Python converts, is
a `JSONDecodeError` like any other malformed JSON, never a `RecursionError` or a bare `ValueError`.
Writing: a lone surrogate (which UTF-8 cannot hold) becomes '?' instead of failing half way through a save.
"""

from __future__ import annotations

import json
import math


def parse_json(raw: bytes) -> object:
    return parse_json_text(raw.decode("utf-8"))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json_text(text: str) -> object:
    """NaN, Infinity and numbers too large for a float are malformed too: nothing we write holds them."""
    try:
        return json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except ValueError as err:
        message = str(err).split(":")[0]
        raise json.JSONDecodeError(message, text, max(0, text.find(message.split(" ")[0]))) from None


def json_bytes(data: object, indent: int | None = None) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=indent, allow_nan=False).encode("utf-8", "replace")

"""Checks for single fields read back from files we or others wrote: saved files are untrusted.

Each check returns the value it vouched for or raises `FieldError` naming the field, so a
loader can say in one line what is wrong with a file instead of failing later on a bad value.
JSON itself allows `NaN`, `1e300`, lone surrogates and any depth; these checks do not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from app.core.errors import UsageError

LATEST_TIME = 253402300799.0  # 9999-12-31 23:59:59 UTC: the last moment a clock can show


class FieldError(UsageError):
    """One field of a saved file has the wrong type, or a value out of range."""


@dataclass(frozen=True)
class DamagedFile:
    """A saved file that did not pass its checks, listed with the reason instead of hidden."""

    file_name: str
    reason: str


def shown(value: object) -> str:
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    text = json.dumps(value) if isinstance(value, (bool, int, float, type(None))) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def valid_unicode(text: str, what: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise FieldError(f"{what} is not valid Unicode (a lone surrogate at character {err.start})") from None
    return text


def text(value: object, what: str, max_len: int | None = None) -> str:
    if not isinstance(value, str):
        raise FieldError(f"{what} must be text, got {shown(value)}")
    if max_len is not None and len(value) > max_len:
        raise FieldError(f"{what} is longer than {max_len:,} characters")
    return valid_unicode(value, what)


def boolean(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise FieldError(f"{what} must be true or false, got {shown(value)}")
    return value


def integer(value: object, what: str, low: int = 0, high: int = 2**62) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError(f"{what} must be a whole number, got {shown(value)}")
    if not low <= value <= high:
        raise FieldError(f"{what} must be between {low:,} and {high:,}, got {shown(value)}")
    return value


def number(value: object, what: str, low: float = -1e15, high: float = 1e15) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError(f"{what} must be a number, got {shown(value)}")
    if not (math.isfinite(value) and low <= value <= high):
        raise FieldError(f"{what} must be between {low:g} and {high:g}, got {shown(value)}")
    return float(value)


def timestamp(value: object, what: str) -> float:
    return number(value, what, 0.0, LATEST_TIME)


def scalar(value: object, what: str) -> object:
    """A JSON value that holds no other value: null, true/false, a finite number or text."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return number(value, what)
    if isinstance(value, str):
        return text(value, what)
    raise FieldError(f"{what} must be a single value, got {shown(value)}")


def mapping(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise FieldError(f"{what} must be an object, got {shown(value)}")
    return value


def sequence(value: object, what: str, max_len: int | None = None) -> list:
    if not isinstance(value, list):
        raise FieldError(f"{what} must be a list, got {shown(value)}")
    if max_len is not None and len(value) > max_len:
        raise FieldError(f"{what} has {len(value):,} entries, more than {max_len:,}")
    return value

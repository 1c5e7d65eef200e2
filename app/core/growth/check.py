"""What comes out of the growth database is checked column by column before a report formats it.

SQLite keeps any value in any column, so a file edited or damaged by hand can hold text where
a token count belongs, or a time no clock can show. Each read row passes these checks or raises
`FieldError` naming the column and the turn or session it belongs to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from app.core.files import field_checks as fields

MAX_COUNT = 2**62

Check = Callable[[object, str], object]


def _whole(value: object, what: str) -> int:
    return fields.integer(value, what, -MAX_COUNT, MAX_COUNT)


def _text(value: object, what: str) -> str:
    return fields.text(value, what)


def _maybe(check: Check) -> Check:
    return lambda value, what: None if value is None else check(value, what)


def _number(value: object, what: str) -> float:
    return fields.number(value, what, -1e18, 1e18)


GROWTH_ROW = (
    ("id", _whole), ("session_id", _whole), ("source", _text), ("turn_index", _whole), ("prompt", _text),
    ("time", fields.timestamp), ("model", _text), ("n_ctx", _whole), ("input_tokens", _whole),
    ("output_tokens", _whole), ("context_before", _whole), ("context_after", _whole), ("growth", _whole),
    ("growth_pct", _maybe(_number)), ("reused", _whole), ("evaluated", _whole), ("ttft_ms", _maybe(_number)),
    ("tokens_per_s", _maybe(_number)), ("compression", _maybe(_text)), ("shifted", _whole),
    ("context_shifts", _whole),
)
SESSION_ROW = (
    ("id", _whole), ("source", _text), ("external_id", _maybe(_text)), ("model", _text), ("n_ctx", _whole),
    ("started", fields.timestamp), ("turns", _whole), ("peak_context", _maybe(_whole)),
)
STATS_ROW = (
    ("turns", _whole), ("average growth", _maybe(_number)), ("largest growth", _maybe(_whole)),
    ("total growth", _whole), ("peak context", _maybe(_whole)),
)


def checked_rows(rows: Sequence[tuple], columns: tuple[tuple[str, Check], ...], what: str) -> list[tuple]:
    """`rows` as read, once every value passed its column's check; `what` names a row ("turn")."""
    for row in rows:
        label = f"{what} {row[0]}" if what != "statistics" else what
        for value, (name, check) in zip(row, columns):
            check(value, f"{label}: {name}")
    return list(rows)

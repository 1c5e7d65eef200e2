"""argparse types that turn bad values into one clear usage error."""

from __future__ import annotations

import argparse

from app.core.errors import UsageError
from app.core.limits import SETTING_RANGES, parse_number, range_of


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {n}")
    return n


def slot_arg(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {value!r}") from None
    if not 0 <= n <= 1023:
        raise argparse.ArgumentTypeError(f"must be a slot number between 0 and 1023, got {n}")
    return n


def n_ctx_arg(value: str) -> int | str:
    if value == "auto":
        return value
    n = positive_int(value)
    problem = SETTING_RANGES["n_ctx"].problem(n)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return n


def percent_arg(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 100, got {value!r}") from None
    if not 0 < x <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return x


def ranged(name: str):
    """An argparse type for the setting or flag `name`, refusing what its range in `limits` refuses."""
    range_of(name)  # a name with no range fails here, when the parser is built

    def parse(value: str) -> int | float:
        try:
            return parse_number(name, value)
        except UsageError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = name.replace("_", " ")
    return parse


def argv_text(value: str) -> str:
    """Command-line text made valid UTF-8: bytes that are not UTF-8 (which sys.argv carries as lone
    surrogates) become U+FFFD before anything else sees them."""
    try:
        raw = value.encode("utf-8", "surrogateescape")  # the bytes as given: one U+FFFD for each bad byte
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace")

"""argparse types that turn bad values into one clear usage error."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value!r}") from None
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {n}")
    return n


def n_ctx_arg(value: str) -> int | str:
    return value if value == "auto" else positive_int(value)


def percent_arg(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number between 0 and 100, got {value!r}") from None
    if not 0 < x <= 100:
        raise argparse.ArgumentTypeError(f"must be between 0 and 100, got {value}")
    return x

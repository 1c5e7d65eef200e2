"""llama-server's `/metrics` (Prometheus text) read into the numbers the server panel shows."""

from __future__ import annotations

import math

PREFIX = "llamacpp:"


def parse_metrics(text: str) -> dict[str, float]:
    """`llamacpp:NAME value` lines as {NAME: value}; comments, labels of other exporters and bad numbers skipped."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        if not line.startswith(PREFIX):
            continue
        name, _, rest = line[len(PREFIX):].partition(" ")
        name = name.split("{", 1)[0]
        try:
            value = float(rest.split()[0])
        except (IndexError, ValueError):
            continue
        if math.isfinite(value):
            values[name] = value
    return values

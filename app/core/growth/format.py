"""Text for growth figures, shared by the CLI tables and the growth screen."""

from __future__ import annotations

import time as _time

from app.core.formatting import DASH, fmt_int


def fmt_growth(n: int | None) -> str:
    """'+1,024', '-300', '0'."""
    if n is None:
        return DASH
    return f"+{n:,}" if n > 0 else f"{n:,}"


def fmt_growth_pct(x: float | None) -> str:
    """'+50.0%', '-12.5%'; a dash when there was no context before."""
    if x is None:
        return DASH
    return f"{x:+.1f}%"


def fmt_average(x: float | None) -> str:
    return DASH if x is None else f"{x:+,.1f}"


def fmt_context_change(before: int, after: int) -> str:
    return f"{fmt_int(before)} → {fmt_int(after)}"


def fmt_when(epoch: float) -> str:
    """Local time, to the minute."""
    return _time.strftime("%Y-%m-%d %H:%M", _time.localtime(epoch))


def prompt_excerpt(prompt: str, width: int = 40) -> str:
    """The prompt on one line, cut to `width` characters with an ellipsis."""
    text = " ".join(prompt.split())
    if not text:
        return "(no prompt)"
    return text if len(text) <= width else text[: width - 1] + "…"


def growth_level(growth: int, largest: int) -> float:
    """Where a turn's growth sits between none (0.0) and the largest listed (1.0)."""
    if largest <= 0 or growth <= 0:
        return 0.0
    return min(1.0, growth / largest)

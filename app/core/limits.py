"""The range every number may take where it enters: CLI flags, config.toml and the settings dialogs.

A value outside its range is refused with one line that names it, before anything uses it:
llama.cpp crashes on 100000 threads, an interval of 1e300 s stops the memory monitor, and a
NaN temperature would be written into snapshots as JSON no reader accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.errors import UsageError

INT64_MAX = 2**63 - 1  # SQLite's integers are signed 64-bit
MAX_THREADS = 512  # ggml's GGML_MAX_N_THREADS: more makes llama.cpp crash
MAX_N_CTX = 1 << 24
UINT32_MAX = 2**32 - 1


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    low_open: bool = False  # True: the value must be above `low`, not equal to it
    integer: bool = False
    note: str = ""

    def describe(self) -> str:
        kind = "a whole number " if self.integer else ""
        if self.low_open:
            text = f"{kind}above {_num(self.low)} and at most {_num(self.high)}"
        else:
            text = f"{kind}between {_num(self.low)} and {_num(self.high)}"
        return f"{text} ({self.note})" if self.note else text

    def problem(self, value: object) -> str | None:
        """Why `value` is not allowed, or None when it is."""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"must be {self.describe()}, got {value!r}"
        if self.integer and not isinstance(value, int):
            return f"must be {self.describe()}, got {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"must be {self.describe()}, got {value}"
        too_low = value <= self.low if self.low_open else value < self.low
        if too_low or value > self.high:
            return f"must be {self.describe()}, got {_num(value)}"
        return None


def _num(x: float) -> str:
    if isinstance(x, int) or float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x)}"
    return f"{x:g}"


def _int(low: int, high: int, note: str = "") -> Range:
    return Range(low, high, integer=True, note=note)


SETTING_RANGES: dict[str, Range] = {
    "n_ctx": _int(1, MAX_N_CTX, "tokens"),
    "n_batch": _int(1, 65536, "tokens"),
    "n_threads": _int(1, MAX_THREADS),
    "n_gpu_layers": _int(-1, 100_000, "-1 offloads every layer"),
    "warn_threshold": Range(0, 100, low_open=True, note="% of the budget"),
    "latency_window": _int(1, 100_000, "tokens"),
    "memory_warning": Range(0, 100, low_open=True, note="%"),
    "memory_critical": Range(0, 100, low_open=True, note="%"),
    "memory_emergency": Range(0, 100, low_open=True, note="%"),
    "memory_hysteresis": Range(0, 50, note="%"),
    "memory_interval": Range(0.01, 60, note="seconds"),
    "temperature": Range(0, 100),
    "top_k": _int(0, 1_000_000, "0 turns it off"),
    "top_p": Range(0, 1, low_open=True),
    "min_p": Range(0, 1),
    "repeat_penalty": Range(0, 100, low_open=True),
    "seed": _int(-1, UINT32_MAX, "-1 picks a random one"),
    "max_tokens": _int(1, MAX_N_CTX, "tokens"),
    "compress_trigger": Range(1, 100, note="% of the budget"),
    "compress_target": Range(1, 100, note="% of the budget"),
    "reply_reserve": _int(0, MAX_N_CTX, "tokens"),
    "keep_last_turns": _int(0, 100_000),
}

# Flags of the headless commands that are not settings.
FLAG_RANGES: dict[str, Range] = {
    "limit": _int(1, 1_000_000),
    "min_growth": _int(-INT64_MAX, INT64_MAX, "tokens"),
}


def range_of(name: str) -> Range:
    """The range of the setting or flag `name`; KeyError for a name that has none."""
    return SETTING_RANGES.get(name) or FLAG_RANGES[name]


def check_value(name: str, value: object, where: str = "") -> None:
    """Raise UsageError (`where: name must be ...`) when `value` is outside the range of `name`."""
    rng = range_of(name)
    problem = rng.problem(value)
    if problem:
        raise UsageError(f"{where}{name} {problem}")


def parse_number(name: str, text: str) -> int | float:
    """The value of `name` typed as text (a flag or a dialog's field); UsageError says why it is refused."""
    rng = range_of(name)
    try:
        number = int(text) if rng.integer else float(text)
    except ValueError:
        raise UsageError(f"must be {rng.describe()}, got {text!r}") from None
    problem = rng.problem(number)
    if problem:
        raise UsageError(problem)
    return number


def check_values(values: dict, where: str = "") -> None:
    """Check every known number in `values` (None means unset and passes)."""
    for name, value in values.items():
        if name in SETTING_RANGES and value is not None and not (name == "n_ctx" and value == "auto"):
            check_value(name, value, where)

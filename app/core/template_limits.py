"""Bounds on rendering a chat template: a template is code from a model file, and code can loop.

Jinja's sandbox stops a template from reaching Python; it does not stop `{{ 'x' * 200000000 }}`
or two nested `range(100000)` loops from taking the memory or the afternoon. This environment
caps what a single operation may build (strings, lists, integers, ranges, namespace values),
and a render streams its output, stopping past a size cap or a time deadline.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

from app.core.errors import ContextWatchError

MAX_OUTPUT_CHARS = 8 << 20  # a rendered prompt; a full 128K-token context is well under 1 MiB of text
MAX_VALUE_LEN = 1 << 20  # one string or list a template builds
MAX_RANGE = 10_000
MAX_INT_BITS = 4096
RENDER_SECONDS = 2.0
_CHECK_EVERY = 256  # loop iterations between two looks at the clock
_SIZED_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_SIZED_FILTERS = ("center", "indent", "wordwrap", "batch", "slice", "truncate")


class TemplateLimitError(ContextWatchError):
    """A chat template went past one of the bounds; str(err) says which."""


def _too_big(value: Any) -> bool:
    if isinstance(value, (str, list, tuple)):
        return len(value) > MAX_VALUE_LEN
    return isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > MAX_INT_BITS


def _refuse_size(value: Any) -> Any:
    if _too_big(value):
        raise TemplateLimitError(f"built a value larger than {MAX_VALUE_LEN:,} items")
    return value


class _Deadline(threading.local):
    at: float | None = None


class BoundedRange(Sequence):
    """`range()` for templates: at most MAX_RANGE items, and its loops watch the deadline."""

    def __init__(self, env: "BoundedSandbox", *args: int) -> None:
        self._range = range(*args)
        if len(self._range) > MAX_RANGE:
            raise TemplateLimitError(f"asked for a range of {len(self._range):,} items (at most {MAX_RANGE:,})")
        self._env = env

    def __len__(self) -> int:
        return len(self._range)

    def __getitem__(self, index):
        return self._range[index]

    def __iter__(self):
        for i, value in enumerate(self._range):
            if i % _CHECK_EVERY == 0:
                self._env.check_time()
            yield value


class BoundedNamespace(Namespace):
    """`namespace()` whose attributes cannot grow past the value cap one `{% set %}` at a time."""

    def __setitem__(self, name: str, value: Any) -> None:
        Namespace.__setitem__(self, name, _refuse_size(value))


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = _Deadline()
        self.globals["range"] = lambda *a: BoundedRange(self, *a)
        self.globals["namespace"] = BoundedNamespace
        for name in _SIZED_FILTERS:
            self.filters[name] = _sized(self.filters[name])

    def check_time(self) -> None:
        at = self._deadline.at
        if at is not None and time.monotonic() > at:
            raise TemplateLimitError(f"ran longer than {RENDER_SECONDS:g} s")

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        self.check_time()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_VALUE_LEN:
                    raise TemplateLimitError(f"built a value larger than {MAX_VALUE_LEN:,} items")
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TemplateLimitError(f"built an integer larger than {MAX_INT_BITS} bits")
        elif operator == "**" and _is_int(left) and _is_int(right):
            if abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
                raise TemplateLimitError(f"built an integer larger than {MAX_INT_BITS} bits")
        return _refuse_size(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.check_time()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.check_time()
        if getattr(__obj, "__name__", None) in _SIZED_STR_METHODS and isinstance(getattr(__obj, "__self__", None), str):
            _refuse_sizes(args, kwargs)
        return _refuse_size(super().call(__context, __obj, *args, **kwargs))

    def render_bounded(self, template: Template, max_chars: int = MAX_OUTPUT_CHARS,
                       seconds: float = RENDER_SECONDS, **context: Any) -> str:
        """`template.render(**context)`, streamed: TemplateLimitError past `max_chars` or `seconds`."""
        self._deadline.at = time.monotonic() + seconds
        parts: list[str] = []
        total = 0
        try:
            for chunk in template.generate(**context):
                total += len(chunk)
                if total > max_chars:
                    raise TemplateLimitError(f"rendered more than {max_chars:,} characters")
                parts.append(chunk)
                self.check_time()
        finally:
            self._deadline.at = None
        return "".join(parts)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _refuse_sizes(args: tuple, kwargs: dict) -> None:
    for value in (*args, *kwargs.values()):
        if _is_int(value) and value > MAX_VALUE_LEN:
            raise TemplateLimitError(f"asked for a value of {value:,} items (at most {MAX_VALUE_LEN:,})")


def _sized(filter_func):
    """A filter whose size arguments (a width, a count) are held under the value cap."""

    def bounded(value: Any, *args: Any, **kwargs: Any) -> Any:
        _refuse_sizes(args, kwargs)
        return _refuse_size(filter_func(value, *args, **kwargs))

    for attr in ("jinja_pass_arg",):
        if hasattr(filter_func, attr):
            setattr(bounded, attr, getattr(filter_func, attr))
    return bounded

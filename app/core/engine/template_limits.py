"""Bounds on rendering a chat template: a template is code from a model file, and code can loop.

Jinja's sandbox stops a template from reaching Python; it does not stop `{{ 'x' * 200000000 }}`
or two nested `range(100000)` loops from taking the memory or the afternoon. This environment
caps what a single operation may build (strings, lists, integers, ranges, namespace values),
and a render streams its output, stopping past a size cap or a time deadline. The size caps
grow by the length of the text the render is given: a long conversation is not a hostile one.
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

MAX_OUTPUT_CHARS = 8 << 20  # beyond the text given; a full 128K-token context is well under 1 MiB
MAX_VALUE_LEN = 1 << 20  # one string or list a template builds, beyond the text given
MAX_RANGE = 10_000
MAX_INT_BITS = 4096
RENDER_SECONDS = 2.0
SECONDS_PER_GIVEN_MB = 2.0  # a long conversation may take its time, on a busy machine too
_CHECK_EVERY = 256  # loop iterations between two looks at the clock
_SIZED_STR_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_SIZED_FILTERS = ("center", "indent", "wordwrap", "batch", "slice", "truncate")


_BEYOND = f"{MAX_VALUE_LEN:,} items beyond the chat's own text"
_TOO_LONG = f"built a value longer than {_BEYOND}"


class TemplateLimitError(ContextWatchError):
    """A chat template went past one of the bounds; str(err) says which."""


class _Budget(threading.local):
    """What the render running in this thread may still do."""

    at: float | None = None
    seconds: float = RENDER_SECONDS
    max_len: int = MAX_VALUE_LEN


class BoundedRange(Sequence):
    """`range()` for templates: at most MAX_RANGE items, and its loops watch the deadline."""

    def __init__(self, env: BoundedSandbox, *args: int) -> None:
        self._range = range(*args)
        try:
            n = len(self._range)
        except OverflowError:
            n = MAX_RANGE + 1
        if n > MAX_RANGE:
            raise TemplateLimitError(f"asked for a range of more than {MAX_RANGE:,} items")
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


def _namespace_type(env: BoundedSandbox) -> type:
    class BoundedNamespace(Namespace):
        """`namespace()` whose attributes cannot grow past the value cap one `{% set %}` at a time."""

        def __setitem__(self, name: str, value: Any) -> None:
            Namespace.__setitem__(self, name, env.refuse_size(value))

    return BoundedNamespace


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._budget = _Budget()
        self.globals["range"] = lambda *a: BoundedRange(self, *a)
        self.globals["namespace"] = _namespace_type(self)
        for name in _SIZED_FILTERS:
            self.filters[name] = self._sized(self.filters[name])

    def check_time(self) -> None:
        at = self._budget.at
        if at is not None and time.monotonic() > at:
            raise TemplateLimitError(f"ran longer than {self._budget.seconds:.3g} s")

    def refuse_size(self, value: Any) -> Any:
        if isinstance(value, (str, list, tuple)) and len(value) > self._budget.max_len:
            raise TemplateLimitError(_TOO_LONG)
        if _is_int(value) and value.bit_length() > MAX_INT_BITS:
            raise TemplateLimitError(f"built an integer larger than {MAX_INT_BITS} bits")
        return value

    def refuse_sizes(self, args: tuple, kwargs: dict) -> None:
        for value in (*args, *kwargs.values()):
            if _is_int(value) and value > self._budget.max_len:
                raise TemplateLimitError(f"asked for a value of {value:,} items (at most {_BEYOND})")

    def _sized(self, filter_func):
        """A filter whose size arguments (a width, a count) are held under the value cap."""

        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.refuse_sizes(args, kwargs)
            return self.refuse_size(filter_func(*args, **kwargs))

        if hasattr(filter_func, "jinja_pass_arg"):
            setattr(bounded, "jinja_pass_arg", filter_func.jinja_pass_arg)  # noqa: B010 - jinja2's mark, not a declared attribute
        return bounded

    def call_binop(self, context, operator: str, left: Any, right: Any) -> Any:
        self.check_time()
        if operator == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > self._budget.max_len:
                    raise TemplateLimitError(_TOO_LONG)
            if _is_int(left) and _is_int(right) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TemplateLimitError(f"built an integer larger than {MAX_INT_BITS} bits")
        elif operator == "**" and _is_int(left) and _is_int(right):
            if abs(left) > 1 and right * max(abs(left).bit_length(), 1) > MAX_INT_BITS:
                raise TemplateLimitError(f"built an integer larger than {MAX_INT_BITS} bits")
        return self.refuse_size(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.check_time()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.check_time()
        return super().getitem(obj, argument)

    def call(__self, __context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        __self.check_time()
        if getattr(__obj, "__name__", None) in _SIZED_STR_METHODS and isinstance(getattr(__obj, "__self__", None), str):
            __self.refuse_sizes(args, kwargs)
        return __self.refuse_size(super().call(__context, __obj, *args, **kwargs))

    def render_bounded(self, template: Template, given_chars: int = 0, seconds: float = RENDER_SECONDS,
                       **context: Any) -> str:
        """`template.render(**context)`, streamed: TemplateLimitError past the size caps (raised by
        `given_chars`, the length of the text in `context`) or past `seconds`."""
        max_chars = MAX_OUTPUT_CHARS + given_chars
        self._budget.seconds = seconds + SECONDS_PER_GIVEN_MB * given_chars / 1e6
        self._budget.at = time.monotonic() + self._budget.seconds
        self._budget.max_len = MAX_VALUE_LEN + given_chars
        parts: list[str] = []
        total = 0
        try:
            for chunk in template.generate(**context):
                total += len(chunk)
                if total > max_chars:
                    raise TemplateLimitError(f"rendered more than {MAX_OUTPUT_CHARS:,} characters beyond the chat's own text")
                parts.append(chunk)
                self.check_time()
        finally:
            self._budget.at = None
            self._budget.max_len = MAX_VALUE_LEN
        return "".join(parts)


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


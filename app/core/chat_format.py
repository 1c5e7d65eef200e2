"""Render a conversation to prompt text with the GGUF's own chat template, sandboxed."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Sequence

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from app.core.errors import ContextWatchError

PLAIN_FALLBACK_WARNING = "this model has no chat template: using a plain 'role: text' format"


class ChatTemplateError(ContextWatchError):
    """The GGUF's template failed to render (or tried something the sandbox forbids)."""


def _raise(message: str) -> None:
    raise ChatTemplateError(f"chat template raised: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


@dataclass
class ChatFormatter:
    template: str | None
    bos_text: str = ""
    eos_text: str = ""

    def __post_init__(self) -> None:
        self._compiled = None
        if self.template:
            env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
            env.globals["raise_exception"] = _raise
            env.globals["strftime_now"] = _strftime_now
            try:
                self._compiled = env.from_string(self.template)
            except TemplateError as err:
                raise ChatTemplateError(f"the model's chat template does not parse: {err}") from None

    @property
    def uses_fallback(self) -> bool:
        return self._compiled is None

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        if self._compiled is None:
            return _render_plain(messages, add_generation_prompt)
        try:
            return self._compiled.render(
                messages=list(messages),
                add_generation_prompt=add_generation_prompt,
                bos_token=self.bos_text,
                eos_token=self.eos_text,
            )
        except ChatTemplateError:
            raise
        except Exception as err:  # the sandbox raises SecurityError, templates raise anything
            raise ChatTemplateError(f"the model's chat template failed: {type(err).__name__}: {err}") from None


def _render_plain(messages: Sequence[dict], add_generation_prompt: bool) -> str:
    parts = [f"{m['role']}: {m['content']}\n\n" for m in messages]
    if add_generation_prompt:
        parts.append("assistant:")
    return "".join(parts)

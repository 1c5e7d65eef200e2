"""Render a conversation to prompt text with the GGUF's own chat template, sandboxed.

Templates are written for Hugging Face's `apply_chat_template`, so they render in the same
kind of environment: trimmed blocks, `{% break %}`/`{% continue %}`, `raise_exception`,
`strftime_now`, a `tojson` that leaves HTML alone, and `{% generation %}` blocks.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, TemplateError, nodes
from jinja2.ext import Extension

from app.core.engine.template_limits import BoundedSandbox, TemplateLimitError
from app.core.errors import ContextWatchError

PLAIN_FORMAT = "using a plain 'role: text' format"
PLAIN_FALLBACK_WARNING = f"this model has no chat template: {PLAIN_FORMAT}"
TRIAL_CHAT = ({"role": "user", "content": "Hello"},)


class ChatTemplateError(ContextWatchError):
    """The GGUF's template failed to render (or tried something the sandbox forbids)."""


def _raise(message: str) -> None:
    raise ChatTemplateError(f"chat template raised: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.datetime.now().strftime(fmt)


def _tojson(value: Any, ensure_ascii: bool = False, indent: int | None = None,
            separators: tuple[str, str] | None = None, sort_keys: bool = False) -> str:
    """JSON as the template's authors saw it: no HTML escaping, their own indent and separators."""
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


class GenerationBlocks(Extension):
    """`{% generation %}...{% endgeneration %}` marks the assistant's part; the text renders as is."""

    tags = {"generation"}

    def parse(self, parser) -> list[nodes.Node]:
        next(parser.stream)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


def template_environment() -> BoundedSandbox:
    env = BoundedSandbox(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols", GenerationBlocks],
    )
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = _strftime_now
    env.filters["tojson"] = _tojson
    return env


@dataclass
class ChatFormatter:
    template: str | None
    bos_text: str = ""
    eos_text: str = ""

    def __post_init__(self) -> None:
        self._compiled: Template | None = None
        self.warning: str | None = None if self.template else PLAIN_FALLBACK_WARNING
        if self.template:
            try:
                self._compiled = template_environment().from_string(self.template)
            except TemplateError as err:
                lineno = getattr(err, "lineno", None)
                where = f"line {lineno}: " if lineno else ""
                self.warning = f"the model's chat template does not parse ({where}{err.message}): {PLAIN_FORMAT}"
                return
            self._refuse_if_unbounded()

    def _refuse_if_unbounded(self) -> None:
        """A template that passes a limit on a one-line chat would on every turn: use the plain format."""
        try:
            self._render_template(TRIAL_CHAT, add_generation_prompt=True)
        except TemplateLimitError as err:
            self._compiled = None
            self.warning = f"the model's chat template {err}: {PLAIN_FORMAT}"
        except Exception:  # noqa: BLE001 - other failures depend on the messages; render reports them
            pass

    @property
    def uses_fallback(self) -> bool:
        return self._compiled is None

    def render(self, messages: Sequence[dict], add_generation_prompt: bool = True) -> str:
        if self._compiled is None:
            return _render_plain(messages, add_generation_prompt)
        try:
            return self._render_template(messages, add_generation_prompt)
        except ChatTemplateError:
            raise
        except TemplateLimitError as err:
            raise ChatTemplateError(f"the model's chat template {err}: it was stopped") from None
        except Exception as err:  # the sandbox raises SecurityError, templates raise anything
            raise ChatTemplateError(f"the model's chat template failed: {type(err).__name__}: {err}") from None


    def _render_template(self, messages: Sequence[dict], add_generation_prompt: bool) -> str:
        compiled = self._compiled
        assert compiled is not None, "only a template that compiled renders"
        sandbox = compiled.environment
        assert isinstance(sandbox, BoundedSandbox), "templates compile in template_environment()"
        given = sum(len(m["content"]) for m in messages if isinstance(m.get("content"), str))
        return sandbox.render_bounded(
            compiled,
            given_chars=given,
            messages=list(messages),
            add_generation_prompt=add_generation_prompt,
            bos_token=self.bos_text,
            eos_token=self.eos_text,
        )


def _render_plain(messages: Sequence[dict], add_generation_prompt: bool) -> str:
    parts = [f"{m['role']}: {m['content']}\n\n" for m in messages]
    if add_generation_prompt:
        parts.append("assistant:")
    return "".join(parts)

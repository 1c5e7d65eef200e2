"""Construct `llama_cpp.Llama`: its load log goes to our log file, its weight buffers suit this CPU,
and no chat template can refuse the model.

`Llama()` compiles every chat template in the GGUF for chat handlers of its own, which
ContextWatch never calls (`chat_format` renders the prompt). A template Jinja cannot parse
raises `TemplateSyntaxError` there and stops the load; while we construct the object, such a
template gets a handler that raises when called, and `chat_format` says what happened.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

from app.core.engine.llama import log as llama_log
from app.core.engine.llama.weight_buffers import model_params_for_this_cpu
from app.core.errors import ModelLoadError

UNPARSEABLE = "{{ raise_exception(\"the model's chat template does not parse\") }}"

_patching = threading.Lock()


def open_llama(path: Path, **kwargs):
    import llama_cpp

    try:
        with (_lenient_chat_handlers(), model_params_for_this_cpu(),
              contextlib.redirect_stderr(llama_log.TextSink())):
            return llama_cpp.Llama(model_path=str(path), **kwargs)
    except (ValueError, RuntimeError, OSError) as err:
        raise ModelLoadError(f"llama.cpp could not load {path}: {err}") from None


def close_llama(llm) -> None:
    with contextlib.redirect_stderr(llama_log.TextSink()):
        llm.close()


@contextlib.contextmanager
def _lenient_chat_handlers():
    from jinja2 import TemplateError
    from llama_cpp import llama_chat_format

    strict = llama_chat_format.Jinja2ChatFormatter

    class Lenient(llama_chat_format.Jinja2ChatFormatter):
        def __init__(self, template: str, *args, **kwargs) -> None:
            try:
                super().__init__(template, *args, **kwargs)
            except TemplateError:
                super().__init__(UNPARSEABLE, *args, **kwargs)

    with _patching:
        setattr(llama_chat_format, "Jinja2ChatFormatter", Lenient)  # noqa: B010 - swaps llama_cpp's class for the load
        try:
            yield
        finally:
            setattr(llama_chat_format, "Jinja2ChatFormatter", strict)  # noqa: B010 - and puts it back

"""A chat template llama-cpp-python cannot compile never stops our load."""

from __future__ import annotations

import pytest

jinja2 = pytest.importorskip("jinja2")
llama_chat_format = pytest.importorskip("llama_cpp.llama_chat_format")

from app.core.engine.llama.loader import _lenient_chat_handlers  # noqa: E402

BROKEN = "{% for m in messages %}{{ m.content }"


def test_llama_cpp_python_refuses_a_broken_template_on_its_own():
    with pytest.raises(jinja2.TemplateSyntaxError):
        llama_chat_format.Jinja2ChatFormatter(template=BROKEN, eos_token="", bos_token="")


def test_while_we_load_a_broken_template_gets_a_handler_that_raises_only_when_called():
    with _lenient_chat_handlers():
        formatter = llama_chat_format.Jinja2ChatFormatter(template=BROKEN, eos_token="", bos_token="")
        good = llama_chat_format.Jinja2ChatFormatter(template="{{ messages[0].content }}", eos_token="",
                                                     bos_token="")
    with pytest.raises(ValueError, match="does not parse"):
        formatter(messages=[{"role": "user", "content": "hi"}])
    assert good(messages=[{"role": "user", "content": "hi"}]).prompt == "hi"


def test_the_lenient_formatter_is_only_in_place_during_the_load():
    strict = llama_chat_format.Jinja2ChatFormatter
    with pytest.raises(RuntimeError):
        with _lenient_chat_handlers():
            assert llama_chat_format.Jinja2ChatFormatter is not strict
            raise RuntimeError("the load failed")
    assert llama_chat_format.Jinja2ChatFormatter is strict

"""Chat templates come from model files: they render sandboxed and cannot run code."""

from __future__ import annotations

import pytest

from app.core.engine.chat_format import ChatFormatter, ChatTemplateError

MESSAGES = [{"role": "user", "content": "hi"}]
ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.system('touch /tmp/cw-pwned') }}",
    "{{ messages.__class__.__base__.__subclasses__() }}",
    "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ raise_exception.__globals__ }}",
    "{{ self.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
]


@pytest.mark.parametrize("template", ESCAPES)
def test_templates_cannot_reach_python_internals(template, tmp_path):
    formatter = ChatFormatter(template)
    try:
        text = formatter.render(MESSAGES)
    except ChatTemplateError as err:
        assert "chat template" in str(err)
    else:
        assert "subclasses" not in text and "<class" not in text and "uid=" not in text
    import os

    assert not os.path.exists("/tmp/cw-pwned")


def test_a_template_may_raise_on_purpose():
    formatter = ChatFormatter("{{ raise_exception('roles must alternate') }}")
    with pytest.raises(ChatTemplateError, match="roles must alternate"):
        formatter.render(MESSAGES)


def test_a_template_that_does_not_parse_falls_back_with_a_warning():
    formatter = ChatFormatter("{% for m in messages %}\n{{ m.content }")
    assert formatter.uses_fallback
    assert formatter.warning == ("the model's chat template does not parse (line 2: unexpected '}'): "
                                 "using a plain 'role: text' format")
    assert formatter.render(MESSAGES) == "user: hi\n\nassistant:"


def test_no_template_falls_back_to_plain_text():
    formatter = ChatFormatter(None)
    assert formatter.uses_fallback
    assert formatter.warning == "this model has no chat template: using a plain 'role: text' format"
    assert formatter.render(MESSAGES) == "user: hi\n\nassistant:"

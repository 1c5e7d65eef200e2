"""Chat templates render as Hugging Face's apply_chat_template renders them."""

from __future__ import annotations

import datetime

import pytest

from app.core.engine.chat_format import ChatFormatter, ChatTemplateError

CHAT = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "<b>café</b>"},
    {"role": "assistant", "content": "ok"},
    {"role": "user", "content": "again"},
]


def render(template: str, messages=CHAT, **kwargs) -> str:
    formatter = ChatFormatter(template, bos_text="<s>", eos_text="</s>")
    assert formatter.warning is None
    return formatter.render(messages, **kwargs)


def test_blocks_are_trimmed_like_hugging_face_templates_expect():
    template = (
        "{% for m in messages %}\n"
        "    {% if m.role == 'user' %}\n"
        "[{{ m.content }}]\n"
        "    {% endif %}\n"
        "{% endfor %}"
    )
    assert render(template) == "[<b>café</b>]\n[again]\n"


def test_break_and_continue():
    template = (
        "{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}"
        "{% if m.role == 'assistant' %}{% break %}{% endif %}{{ m.content }}|{% endfor %}"
    )
    assert render(template) == "<b>café</b>|"


def test_tojson_keeps_html_and_unicode_and_takes_json_options():
    assert render("{{ messages[1] | tojson }}") == '{"role": "user", "content": "<b>café</b>"}'
    assert render("{{ messages[1] | tojson(indent=2) }}") == '{\n  "role": "user",\n  "content": "<b>café</b>"\n}'
    assert render("{{ messages[1] | tojson(ensure_ascii=True) }}") == '{"role": "user", "content": "<b>caf\\u00e9</b>"}'
    assert render("{{ {'b': 1, 'a': 2} | tojson(sort_keys=True, separators=(',', ':')) }}") == '{"a":2,"b":1}'


def test_raise_exception_stops_the_render_with_the_templates_message():
    template = "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}"
    with pytest.raises(ChatTemplateError, match="chat template raised: Conversation must start with user"):
        render(template)


def test_strftime_now_bos_eos_and_the_generation_prompt():
    template = ("{{ bos_token }}{{ strftime_now('%Y') }}{% for m in messages %}{{ m.content }}{{ eos_token }}{% endfor %}"
                "{% if add_generation_prompt %}>{% endif %}")
    year = str(datetime.datetime.now().year)
    assert render(template, CHAT[:1]) == f"<s>{year}Be brief.</s>>"
    assert render(template, CHAT[:1], add_generation_prompt=False) == f"<s>{year}Be brief.</s>"


def test_generation_blocks_render_their_text():
    template = "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}"
    assert render(template) == "ok"


@pytest.mark.parametrize("template", [
    "{% for m in messages %}{{ m.content }",
    "{% if messages %}never closed",
    "{% frobnicate %}",
    "{{ messages | no_such_filter }}",
])
def test_a_template_that_does_not_parse_gives_the_plain_format_and_says_why(template):
    formatter = ChatFormatter(template)
    assert formatter.uses_fallback
    assert formatter.warning.startswith("the model's chat template does not parse (")
    assert formatter.warning.endswith("): using a plain 'role: text' format")
    assert "\n" not in formatter.warning
    assert formatter.render(CHAT[:2]) == "system: Be brief.\n\nuser: <b>café</b>\n\nassistant:"

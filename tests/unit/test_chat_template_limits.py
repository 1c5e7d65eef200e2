"""A chat template is untrusted code: rendering is bounded in time and size, and ends in one line."""

from __future__ import annotations

import time

import pytest

from app.core.engine.chat_format import PLAIN_FORMAT, ChatFormatter, ChatTemplateError

CHAT = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
HOSTILE = {
    "string multiplication": "{{ 'x' * 200000000 }}",
    "a huge range": "{% for i in range(100000000) %}{% endfor %}",
    "a range too large to count": "{{ range(10 ** 30)|length }}",
    "nested loops": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "output flood": "{% for i in range(10000) %}{% for j in range(10000) %}{{ 'abcdefgh' }}{% endfor %}{% endfor %}",
    "a huge power": "{{ 2 ** 100000000 }}",
    "doubling a namespace": "{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
                            "{% endfor %}{{ ns.s }}",
    "list growth": "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
    "a wide filter": "{{ 'x'|center(200000000) }}",
    "a wide method": "{{ 'x'.ljust(200000000) }}",
    "a slicing filter": "{{ [1]|slice(100000000)|list|length }}",
}


@pytest.mark.parametrize("template", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_template_past_a_limit_at_load_falls_back_to_the_plain_format(template):
    start = time.monotonic()
    formatter = ChatFormatter(template)
    assert time.monotonic() - start < 5
    assert formatter.uses_fallback
    assert formatter.warning.startswith("the model's chat template ") and formatter.warning.endswith(PLAIN_FORMAT)
    assert "\n" not in formatter.warning
    assert formatter.render(CHAT) == "user: hi\n\nassistant: hello\n\nassistant:"


def test_a_template_that_passes_a_limit_later_stops_that_render_with_one_line():
    formatter = ChatFormatter("{% for m in messages %}{{ m.content }}{% endfor %}"
                              "{% if messages|length > 1 %}{{ 'y' * 100000000 }}{% endif %}")
    assert not formatter.uses_fallback
    start = time.monotonic()
    with pytest.raises(ChatTemplateError, match="built a value longer than 1,048,576 items beyond the chat.s own text: it was stopped"):
        formatter.render(CHAT)
    assert time.monotonic() - start < 5
    assert formatter.render(CHAT[:1]) == "hi"


def test_ordinary_templates_keep_working():
    template = ("{% for i in range(messages|length) %}{{ messages[i].role }}={{ messages[i].content }};{% endfor %}"
                "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{% endfor %}"
                "{{ ns.n }}|{{ 'ab' * 3 }}|{{ 2 ** 10 }}|{{ range(3)|list }}|{{ range(3)|reverse|list }}")
    formatter = ChatFormatter(template)
    assert formatter.warning is None
    assert formatter.render(CHAT) == "user=hi;assistant=hello;2|ababab|1024|[0, 1, 2]|[2, 1, 0]"


def test_the_caps_grow_with_the_text_given():
    formatter = ChatFormatter("{% for m in messages %}{{ '<' + m.role + '>' + m.content + '</>' }}{% endfor %}")
    long_prompt = "lorem ipsum " * 400_000
    assert formatter.render([{"role": "user", "content": long_prompt}]) == f"<user>{long_prompt}</>"

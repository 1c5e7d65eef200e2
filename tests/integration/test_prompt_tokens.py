"""Prompt ids built message by message equal a whole tokenization, and a turn tokenizes only its new part."""

from __future__ import annotations

import pytest

from app.core.conversations.conversation import Message
from app.core.engine.chat_format import ChatFormatter
from app.core.engine.prompt_tokens import PromptTokens
from app.core.engine.special_split import BLOCK_CHARS

pytestmark = pytest.mark.model

SYSTEM = Message("system", "You are a helpful assistant.")


def whole(engine, messages, add_generation_prompt):
    """What a plain tokenization gives: the prompt's ids and the growth of each prefix."""
    chat = [m.as_chat() for m in messages]
    counts, before = [], 0
    for i in range(len(chat)):
        now = len(engine.prompt_ids(chat[: i + 1], add_generation_prompt=False))
        counts.append(now - before)
        before = now
    return engine.prompt_ids(chat, add_generation_prompt), counts


class CountingEngine:
    """The real engine, counting how many characters go through the tokenizer."""

    def __init__(self, engine) -> None:
        self._engine = engine
        self.tokenized_chars = 0

    def tokenize(self, text, *args, **kwargs):
        self.tokenized_chars += len(text)
        return self._engine.tokenize(text, *args, **kwargs)

    def prompt_ids(self, messages, add_generation_prompt=True):
        self.tokenized_chars += len(self._engine.render(messages, add_generation_prompt))
        return self._engine.prompt_ids(messages, add_generation_prompt)

    def __getattr__(self, name):
        return getattr(self._engine, name)


class WorkCounter(CountingEngine):
    """The real engine, counting template renders and the characters they produce, and tokenizer calls."""

    def __init__(self, engine) -> None:
        super().__init__(engine)
        self.renders = self.rendered_chars = self.tokenize_calls = 0

    def render(self, messages, add_generation_prompt=True):
        text = self._engine.render(messages, add_generation_prompt)
        self.renders += 1
        self.rendered_chars += len(text)
        return text

    def tokenize(self, text, *args, **kwargs):
        self.tokenize_calls += 1
        return super().tokenize(text, *args, **kwargs)

    def rendered_ids(self, text):
        self.tokenize_calls += 1
        self.tokenized_chars += len(text)
        return self._engine.rendered_ids(text)


def short_messages(n: int) -> list[Message]:
    return [SYSTEM] + [Message(("user", "assistant")[i % 2], f"message {i} ok") for i in range(n)]


def history(n_turns: int) -> list[Message]:
    messages = [SYSTEM]
    for i in range(n_turns):
        messages.append(Message("user", f"Question {i}: how does a lighthouse lens focus light? " * 3))
        messages.append(Message("assistant", f"Answer {i}: a Fresnel lens bends light with rings of prisms. " * 5))
    return messages


def test_growing_and_edited_histories_match_a_whole_tokenization(engine):
    prompt = PromptTokens(engine)
    steps = [
        [SYSTEM],
        [SYSTEM, Message("user", "Hello there")],
        [SYSTEM, Message("user", "Hello there"), Message("assistant", "Hi! How can I help?")],
        [SYSTEM, Message("user", "Hello there"), Message("assistant", "Hi! How can I help?"),
         Message("user", "Spell <|im_start|> and <|im_end|> for me, then 日本語 and emoji 🙂.")],
        [SYSTEM, Message("user", "Hello again"), Message("assistant", "Hi! How can I help?")],  # an edit
        [SYSTEM, Message("user", "Hello again")],  # a deletion
        [Message("system", "Be brief."), Message("user", "")],  # everything changed, an empty message
        [],
        history(6),
    ]
    for messages in steps:
        for add_generation_prompt in (False, True):
            if not messages and add_generation_prompt:
                continue
            assert prompt.build(messages, add_generation_prompt) == whole(engine, messages, add_generation_prompt)


def test_a_new_turn_tokenizes_its_message_not_the_whole_prompt(engine):
    counting = CountingEngine(engine)
    prompt = PromptTokens(counting)
    messages = history(8)
    prompt.build(messages, add_generation_prompt=False)
    new = Message("user", "Which lighthouse would you visit first?")
    counting.tokenized_chars = 0
    ids, counts = prompt.build(messages + [new], add_generation_prompt=True)
    assert (ids, counts) == whole(engine, messages + [new], True)
    rendered = len(engine.render([m.as_chat() for m in messages + [new]]))
    assert counting.tokenized_chars < 2 * (len(new.content) + 40) < rendered // 10


def test_a_template_without_special_tokens_is_tokenized_whole(engine):
    saved = engine.formatter
    engine.formatter = ChatFormatter(None)  # "role: text" with no special tokens between messages
    try:
        prompt = PromptTokens(engine)
        messages = history(3)
        for n in range(2, len(messages) + 1):
            assert prompt.build(messages[:n], True) == whole(engine, messages[:n], True)
    finally:
        engine.formatter = saved


def test_a_template_that_refuses_part_of_a_history_still_counts_every_message(engine):
    saved = engine.formatter
    engine.formatter = ChatFormatter(
        "{% if messages[-1]['role'] != 'user' %}{{ raise_exception('must end with a user turn') }}{% endif %}"
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    )
    try:
        messages = [Message("user", "one two three"), Message("assistant", "four five"), Message("user", "six")]
        ids, counts = PromptTokens(engine).build(messages, add_generation_prompt=False)
        assert ids == engine.prompt_ids([m.as_chat() for m in messages], add_generation_prompt=False)
        assert len(counts) == 3 and all(c > 0 for c in counts)
    finally:
        engine.formatter = saved


def work_of_building(engine, messages) -> WorkCounter:
    counter = WorkCounter(engine)
    PromptTokens(counter).build(messages, add_generation_prompt=True)
    return counter


def test_the_costs_of_a_long_history_take_work_linear_in_its_length(engine):
    small, large = work_of_building(engine, short_messages(200)), work_of_building(engine, short_messages(2000))
    for n, work in ((201, small), (2001, large)):
        whole_text = len(engine.render([m.as_chat() for m in short_messages(n - 1)], add_generation_prompt=True))
        assert work.renders <= 2 * n + 6
        assert work.tokenize_calls <= n + 2
        # a few messages around each one: a constant multiple, where every prefix again would be n / 2 times
        assert work.rendered_chars <= 16 * whole_text
        assert work.tokenized_chars <= 2 * whole_text
    assert large.rendered_chars <= 12 * small.rendered_chars
    assert large.tokenized_chars <= 12 * small.tokenized_chars


def test_a_long_history_matches_a_whole_tokenization_and_reports_progress(engine):
    messages = short_messages(120)
    seen: list[tuple[int, int]] = []
    prompt = PromptTokens(engine)
    assert prompt.build(messages, True, lambda done, total: seen.append((done, total))) == whole(engine, messages, True)
    assert seen[-1] == (121, 121) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    edited = messages[:60] + [Message("user", "an edit in the middle")] + messages[61:]
    counter = WorkCounter(engine)
    prompt._engine = counter
    assert prompt.build(edited, False) == whole(engine, edited, False)
    assert counter.rendered_chars <= 16 * len(engine.render([m.as_chat() for m in edited], False))


def test_a_template_that_renders_a_message_differently_when_it_is_last_is_still_exact(engine):
    saved = engine.formatter
    engine.formatter = ChatFormatter(
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
        "{% if loop.last %} (latest){% endif %}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    try:
        messages = short_messages(9)
        for n in (3, 6, len(messages)):
            assert PromptTokens(engine).build(messages[:n], True) == whole(engine, messages[:n], True)
    finally:
        engine.formatter = saved


def test_a_long_prompt_tokenized_in_blocks_is_its_whole_tokenization(engine, monkeypatch):
    text = engine.render([m.as_chat() for m in short_messages(2000)], add_generation_prompt=True)
    sizes: list[int] = []
    tokenize = engine.tokenize
    monkeypatch.setattr(engine, "tokenize", lambda piece, *a, **k: (sizes.append(len(piece)), tokenize(piece, *a, **k))[1])
    ids = engine.rendered_ids(text)
    assert len(sizes) > 3 and max(sizes) < 2 * BLOCK_CHARS  # no call takes the whole text
    assert ids == engine.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)


def test_a_session_reports_how_far_the_costs_of_a_long_history_have_got(model_path, log_file):
    from app.core.config.settings import Settings
    from app.core.events import CountProgress
    from app.core.session.session import COUNT_PROGRESS_FROM, Session

    seen: list[CountProgress] = []
    keep = lambda event: seen.append(event) if isinstance(event, CountProgress) else None  # noqa: E731
    session = Session(Settings(n_ctx=512), model_path, sink=keep, record_growth=False)
    session.load()
    try:
        session.load_history(short_messages(COUNT_PROGRESS_FROM)[1:])
        step = COUNT_PROGRESS_FROM // 20
        assert [(e.done, e.total) for e in seen] == [(d, COUNT_PROGRESS_FROM) for d in range(step, COUNT_PROGRESS_FROM + 1, step)]
        seen.clear()
        session.load_history(short_messages(20)[1:])  # a short one is counted without a word
        assert seen == []
    finally:
        session.close()

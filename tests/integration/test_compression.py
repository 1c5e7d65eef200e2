"""Compression on the real model: exact token accounting, undo, KV reuse, and a long chat that never overflows."""

from __future__ import annotations

import contextlib

import pytest

from app.core.compression.strategies import MIDDLE_MARKER, SUMMARY_PREFIX, Tokenizer, compress, transcript
from app.core.compression.summarizer import ModelSummarizer
from app.core.config.settings import Settings
from app.core.conversations.conversation import Message
from app.core.engine.results import common_prefix
from app.core.errors import Cancelled, ContextFullError, UsageError
from app.core.events import StopReason
from app.core.session.session import Session

SYSTEM = "You are a concise assistant. " * 4


def history(turns: int, pin: int | None = None) -> list[Message]:
    messages = [Message("system", SYSTEM, pinned=True)]
    for i in range(turns):
        messages.append(Message("user", f"Question {i}: what do you know about river number {i}? " * 3, pinned=(i == pin)))
        messages.append(Message("assistant", f"River {i} is long and flows to the sea past town {i}. " * 4))
    return messages


@pytest.fixture
def session(model_path, log_file):
    s = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=12, auto_compress=False), model_path)
    s.load()
    yield s
    s.close()


def loaded(session, messages):
    session.load_history(messages)
    return session.conversation.messages


def prompt_len(session, messages):
    return len(session.engine.prompt_ids([m.as_chat() for m in messages]))


@pytest.mark.parametrize("mode", ["head", "tail", "middle"])
def test_truncation_cuts_one_message_to_the_exact_target(session, mode):
    messages = history(2)
    big = "The quick brown fox jumps over the lazy dog near the river bank. " * 40
    messages.insert(3, Message("user", big))
    msgs = loaded(session, messages)
    before = prompt_len(session, msgs)
    target = before - 200
    plan = compress(mode, Tokenizer(session.engine), msgs, target)
    cut = [i for i in plan.items if i.action == "cut"]
    assert [i.index for i in cut] == [3]
    assert plan.tokens_before == before
    assert plan.tokens_after == prompt_len(session, plan.after) <= target
    assert plan.tokens_after >= target - 12
    new_text = plan.after[3].content
    if mode == "middle":
        assert MIDDLE_MARKER in new_text
        assert new_text.startswith("The quick brown fox") and new_text.rstrip().endswith("river bank.")
    elif mode == "head":
        assert new_text.startswith("The quick brown fox") and new_text.endswith("[...]")
    else:
        assert new_text.startswith("[...]") and new_text.rstrip().endswith("river bank.")
    assert [m.content for i, m in enumerate(plan.after) if i != 3] == [m.content for i, m in enumerate(msgs) if i != 3]
    counted = session.engine.count_tokens
    assert cut[0].tokens_before - cut[0].tokens_after == counted(big) - counted(new_text)


def test_sliding_window_keeps_system_and_pinned(session):
    msgs = loaded(session, history(10, pin=1))
    target = 500
    plan = compress("sliding", Tokenizer(session.engine), msgs, target)
    assert plan.tokens_after == prompt_len(session, plan.after) <= target
    assert plan.after[0].role == "system"
    assert msgs[3] in plan.after, "the pinned message stays"
    assert plan.after[-1] == msgs[-1], "the newest message stays"
    dropped = [i.index for i in plan.items if i.action == "drop"]
    assert dropped == sorted(dropped) and 0 not in dropped and 3 not in dropped
    kept_unprotected = [i for i, m in enumerate(msgs) if m in plan.after and i not in (0, 3)]
    assert min(kept_unprotected) > max(d for d in dropped if d != 3), "the oldest go first"
    assert plan.tokens_before - plan.tokens_after == plan.saved > 0


def test_sliding_window_never_leaves_a_reply_without_its_question(session):
    msgs = loaded(session, history(3))
    plan = compress("sliding", Tokenizer(session.engine), msgs, 10)
    assert [m.role for m in plan.after] == ["system", "user", "assistant"]
    assert list(plan.after[-2:]) == list(msgs[-2:]), "the newest reply must stay, so its question stays too"


def test_summarize_turns_older_messages_into_one_checkpoint(session):
    msgs = loaded(session, history(6))
    plan = compress("summarize", Tokenizer(session.engine), msgs, 400, ModelSummarizer(session.engine), keep_turns=1)
    summaries = [m for m in plan.after if m.summary]
    assert len(summaries) == 1 and summaries[0].content.startswith(SUMMARY_PREFIX)
    assert len(summaries[0].content) > len(SUMMARY_PREFIX) + 10
    assert plan.after[0] == msgs[0] and plan.after[-2:] == tuple(msgs[-2:])
    assert sum(1 for i in plan.items if i.action == "summarize") == len(msgs) - 3
    assert plan.tokens_after == prompt_len(session, plan.after) < plan.tokens_before
    assert plan.summary_tokens > sum(m.tokens for m in msgs[1:-2])


def test_hybrid_keeps_the_last_turns_verbatim(session):
    msgs = loaded(session, history(8))
    plan = compress("hybrid", Tokenizer(session.engine), msgs, 1000, ModelSummarizer(session.engine), keep_turns=2)
    assert plan.after[-4:] == tuple(msgs[-4:])
    assert [m.summary for m in plan.after].count(True) == 1
    assert plan.tokens_after == prompt_len(session, plan.after)


def test_hierarchical_summary_when_the_old_part_does_not_fit(model_path, log_file):
    small = Session(Settings(n_ctx=512, temperature=0.0), model_path)
    small.load()
    try:
        old = history(14)[1:]
        text_tokens = small.engine.count_tokens(transcript(old))
        assert text_tokens > 2 * 512
        summarizer = ModelSummarizer(small.engine, max_tokens=48)
        summary, spent = summarizer([Message("system", "Be brief.")], old)
        assert summarizer.calls >= 4, "several chunks, then a summary of the summaries"
        assert spent >= text_tokens
        assert summary.strip()
    finally:
        small.close()


def test_undo_restores_the_history_exactly(session):
    msgs = list(loaded(session, history(6, pin=2)))
    plan = session.preview_compression("sliding", target=300)
    session.apply_compression(plan)
    assert session.conversation.messages != msgs
    assert session.stats.compressions == 1 and session.stats.tokens_saved == plan.saved
    session.undo_compression()
    assert session.conversation.messages == msgs
    assert [m.id for m in session.conversation.messages] == [m.id for m in msgs]
    with pytest.raises(UsageError):
        session.undo_compression()


def test_reuse_after_compression_equals_the_common_prefix(session):
    session.change_settings({"kv_shift": "off"})
    msgs = loaded(session, history(6, pin=0))
    session.resync()
    old_ids = session.engine.cached_ids()
    plan = session.preview_compression("sliding", target=300)
    new_ids = session.engine.prompt_ids([m.as_chat() for m in plan.after], add_generation_prompt=False)
    result = session.apply_compression(plan)
    expected = common_prefix(old_ids, new_ids)
    head = len(session.engine.prompt_ids([m.as_chat() for m in msgs[:2]], add_generation_prompt=False))
    assert expected >= head, "the system prompt and the pinned first question stay cached"
    assert result.reused == min(expected, len(new_ids) - 1)
    assert result.evaluated == len(new_ids) - result.reused and result.shifted == 0
    last = session.stats.last
    assert (last.reused, last.evaluated, last.strategy) == (result.reused, result.evaluated, "sliding")


def test_a_shifted_sliding_window_evaluates_only_what_follows_the_kept_tail(session):
    msgs = loaded(session, history(6, pin=0))
    session.resync()
    old_ids = session.engine.cached_ids()
    plan = session.preview_compression("sliding", target=300)
    new_ids = session.engine.prompt_ids([m.as_chat() for m in plan.after], add_generation_prompt=False)
    shift, exact = plan.costs.way("shift"), plan.costs.way("exact")
    assert shift.chosen and not exact.chosen
    result = session.apply_compression(plan)
    assert result.reused == common_prefix(old_ids, new_ids)
    assert result.shifted > 0 and result.dropped > 0
    assert result.reused + result.shifted + result.evaluated == len(new_ids)
    assert (shift.tokens, exact.tokens) == (result.evaluated, len(new_ids) - result.reused)
    assert session.engine.cached_ids() == new_ids
    kept_tail = old_ids[result.reused + result.dropped: result.reused + result.dropped + result.shifted]
    assert kept_tail == new_ids[result.reused: result.reused + result.shifted], "the moved run is the old cache's"
    assert len(msgs) > len(session.conversation.messages)


def test_stale_preview_and_unknown_strategy_are_refused(session):
    loaded(session, history(4))
    plan = session.preview_compression("sliding", target=200)
    session.conversation.append("user", "one more")
    with pytest.raises(UsageError, match="preview again"):
        session.apply_compression(plan)
    with pytest.raises(UsageError, match="unknown compression strategy"):
        session.preview_compression("zip")


@pytest.mark.parametrize("strategy", ["hybrid", "sliding"])
def test_sixty_turns_on_1024_tokens_never_overflow(model_path, log_file, strategy):
    settings = Settings(n_ctx=1024, temperature=0.0, max_tokens=24, auto_compress=True,
                        compress_strategy=strategy, reply_reserve=128)
    session = Session(settings, model_path)
    session.load()
    try:
        peak = 0
        for turn in range(60):
            result = session.submit(f"Turn {turn}: tell me one short fact about the number {turn} and the sea.")
            peak = max(peak, result.total_tokens)
            assert result.total_tokens <= 1024
        stats = session.stats
        assert stats.compressions >= 3
        assert stats.tokens_saved > 1024
        assert peak <= 1024
        if strategy == "hybrid":
            assert stats.summary_tokens > 0
    finally:
        session.close()


def test_emergency_compression_makes_a_huge_prompt_fit(model_path, log_file):
    session = Session(Settings(n_ctx=1024, temperature=0.0, max_tokens=8, auto_compress=False), model_path)
    session.load()
    try:
        session.load_history(history(12)[1:])
        prompt = "Please read this carefully. " * 60
        result = session.submit(prompt)
        assert result.total_tokens <= 1024
        assert session.stats.overflows_prevented == 1
        assert [m.content for m in session.conversation.messages if m.role == "user"][-1] == prompt, \
            "the new prompt is never cut"
        compressed = list(session.conversation.messages)
        with pytest.raises(ContextFullError, match="larger n_ctx"):
            session.undo_compression()
        assert session.conversation.messages == compressed and len(session.conversation.checkpoints) == 1
    finally:
        session.close()


def test_a_prompt_too_big_on_its_own_is_refused_and_nothing_changes(model_path, log_file):
    session = Session(Settings(n_ctx=1024, temperature=0.0, max_tokens=8), model_path)
    session.load()
    try:
        session.load_history(history(3)[1:])
        before = list(session.conversation.messages)
        with pytest.raises(ContextFullError, match="shorten the prompt"):
            session.submit("Please read this. " * 400)
        assert session.conversation.messages == before
        assert session.stats.compressions == 0
    finally:
        session.close()


def cancel_on_first_sync(session) -> None:
    """Press Esc as the first prompt of the next command (the summary's) starts to be read."""
    real_sync = session.engine.sync

    def sync(ids, cancel=None, progress=None, shift=False):
        session.engine.sync = real_sync
        session.cancel()
        return real_sync(ids, cancel, progress, shift)

    session.engine.sync = sync


def cancel_on_first_token(session) -> None:
    """Press Esc once the summary has its first token."""
    real_generate = session.engine.generate

    def generate(params, cancel=None, result=None, on_full=None):
        session.engine.generate = real_generate
        for step in real_generate(params, cancel, result, on_full):
            session.cancel()
            yield step

    session.engine.generate = generate


@pytest.mark.parametrize("when", [cancel_on_first_sync, cancel_on_first_token])
def test_a_cancelled_summary_preview_changes_nothing(session, when):
    before = list(loaded(session, history(6)))
    when(session)
    with pytest.raises(Cancelled, match="history is unchanged"):
        session.preview_compression("summarize", target=400)
    assert session.conversation.messages == before
    assert session.preview_compression("sliding", target=400).changed, "the session works on afterwards"


@contextlib.contextmanager
def auto_summarizing(model_path, strategy: str):
    """A session on 1,024 tokens whose five saved turns pass the trigger: the next turn summarizes first."""
    settings = Settings(n_ctx=1024, temperature=0.0, max_tokens=8, auto_compress=True,
                        compress_strategy=strategy, compress_trigger=50, reply_reserve=128)
    session = Session(settings, model_path)
    session.load()
    try:
        loaded(session, history(5)[1:])
        yield session
    finally:
        session.close()


def test_esc_while_auto_compression_summarizes_keeps_the_history_and_unsends_the_prompt(model_path, log_file):
    with auto_summarizing(model_path, "hybrid") as session:
        before = list(session.conversation.messages)
        cancel_on_first_token(session)
        with pytest.raises(Cancelled):
            session.submit("One more question about the rivers, please.")
        assert session.conversation.messages == before, "no half-written summary replaces the old turns"
        assert session.stats.compressions == 0 and not session.conversation.checkpoints
        result = session.submit("One more question about the rivers, please.")
        assert result.reply and session.stats.compressions == 1
        summaries = [m for m in session.conversation.messages if m.summary]
        assert len(summaries) == 1 and len(summaries[0].content) > len(SUMMARY_PREFIX) + 10


def test_a_cancelled_regenerate_puts_the_old_reply_back(model_path, log_file):
    with auto_summarizing(model_path, "summarize") as session:
        before = list(session.conversation.messages)
        cancel_on_first_sync(session)
        with pytest.raises(Cancelled):
            session.regenerate(len(before) - 1)
        assert session.conversation.messages == before


def test_esc_before_the_first_token_takes_the_new_question_back(session):
    before = list(loaded(session, history(2)))
    cancel_on_first_sync(session)
    result = session.submit("A question that is never answered.")
    assert result.reason is StopReason.CANCELLED and result.reply == ""
    assert session.conversation.messages == before
    assert session.submit("And now a question that is.").reply


def three_turns(session) -> list[int]:
    """Three answered questions; returns the cache's token ids afterwards."""
    for question in ("Name a river in France.", "How long is it?", "Which city does it cross?"):
        session.submit(question)
    return session.engine.cached_ids()


def next_prompt_ids(session, question: str) -> list[int]:
    chat = session.conversation.as_chat() + [{"role": "user", "content": question}]
    return session.engine.prompt_ids(chat)


@pytest.mark.parametrize("when", [cancel_on_first_sync, cancel_on_first_token])
def test_a_cancelled_summary_preview_keeps_the_kv_cache(session, when):
    cached = three_turns(session)
    when(session)
    with pytest.raises(Cancelled):
        session.preview_compression("summarize")
    assert session.engine.cached_ids() == cached
    assert session.dashboard().kv.n_tokens == len(cached), "the sidebar shows the cache as it is"
    question = "And what is its main tributary?"
    expected = common_prefix(cached, next_prompt_ids(session, question))
    result = session.submit(question)
    assert expected >= session.conversation.messages[-3].metrics["prompt_tokens"], \
        "the previous turn's prompt and most of its reply are cached"
    assert result.sync.reused == expected


def test_a_closed_summary_preview_keeps_the_kv_cache(session):
    cached = three_turns(session)
    plan = session.preview_compression("summarize")
    assert plan.changed and plan.summary_tokens > 0
    assert session.engine.cached_ids() == cached
    question = "And what is its main tributary?"
    result = session.submit(question)
    assert result.sync.reused == common_prefix(cached, next_prompt_ids(session, question)[: result.prompt_tokens])


def test_a_failed_summary_keeps_the_kv_cache(session, monkeypatch):
    cached = three_turns(session)
    real_generate = session.engine.generate

    def failing(params, cancel=None, result=None):
        yield from real_generate(params, cancel, result)
        raise ContextFullError("the summary failed")

    monkeypatch.setattr(session.engine, "generate", failing)
    with pytest.raises(ContextFullError):
        session.preview_compression("summarize")
    assert session.engine.cached_ids() == cached


def test_an_applied_summary_reuses_the_common_prefix(session):
    msgs = loaded(session, history(6, pin=0))
    session.resync()
    cached = session.engine.cached_ids()
    plan = session.preview_compression("summarize")
    assert session.engine.cached_ids() == cached
    new_ids = session.engine.prompt_ids([m.as_chat() for m in plan.after], add_generation_prompt=False)
    head = len(session.engine.prompt_ids([m.as_chat() for m in msgs[:2]], add_generation_prompt=False))
    result = session.apply_compression(plan)
    assert result.reused == common_prefix(cached, new_ids) >= head, \
        "the system prompt and the pinned question stay cached"
    assert result.evaluated == len(new_ids) - result.reused
    assert session.engine.cached_ids() == new_ids


def test_auto_compression_summaries_keep_the_cached_prefix(model_path, log_file):
    with auto_summarizing(model_path, "hybrid") as session:
        session.resync()
        cached = session.engine.cached_ids()
        result = session.submit("One more question about the rivers, please.")
        assert session.stats.compressions == 1 and session.stats.last.strategy == "hybrid"
        user = session.conversation.last_index("user")
        prompt = session.engine.prompt_ids(session.conversation.as_chat()[: user + 1])
        assert result.sync.reused == common_prefix(cached, prompt)
        assert result.sync.reused > len(session.engine.prompt_ids(session.conversation.as_chat()[:1], False)) - 2


def stats_numbers(session) -> tuple:
    s = session.stats
    return s.compressions, s.tokens_saved, s.summary_tokens, s.last


def test_undo_takes_back_what_the_compression_counted(session):
    loaded(session, history(6))
    first = session.preview_compression("sliding", target=500)
    session.apply_compression(first)
    after_first = stats_numbers(session)
    assert after_first[:3] == (1, first.saved, 0) and after_first[3].strategy == "sliding"
    second = session.preview_compression("summarize")
    session.apply_compression(second)
    assert stats_numbers(session)[:3] == (2, first.saved + second.saved, second.summary_tokens)
    assert session.stats.last.strategy == "summarize" and second.summary_tokens > 0
    session.undo_compression()
    assert stats_numbers(session) == after_first, "an undone compression saved nothing"
    session.undo_compression()
    assert stats_numbers(session) == (0, 0, 0, None)


def growth_compressions(session) -> list[str | None]:
    rows = session.growth.top_growth(limit=None, min_growth=None, session_id=session.growth_session, sort="time")
    return [r.compression for r in rows]


def test_auto_compression_that_needs_a_second_strategy_names_both(model_path, log_file):
    settings = Settings(n_ctx=1024, temperature=0.0, max_tokens=8, auto_compress=True,
                        compress_strategy="head", compress_trigger=50, reply_reserve=128)
    session = Session(settings, model_path)
    notices = []
    session.sink = lambda e: notices.append(e.message) if hasattr(e, "message") else None
    session.load()
    try:
        short_turns = [Message(role, f"{word} {i}.") for i in range(30) for role, word in
                       (("user", "Hi"), ("assistant", "Hello"))]
        loaded(session, history(2)[1:] + short_turns)  # head cuts the long turns and still falls short
        session.submit("One more question about the rivers, please.")
        checkpoints = session.conversation.checkpoints
        assert [c.strategy for c in checkpoints] == ["head", "sliding"]
        last = session.stats.last
        assert (last.strategy, last.reason) == ("head+sliding", "proactive")
        assert (last.tokens_before, last.tokens_after) == (checkpoints[0].tokens_before, checkpoints[1].tokens_after)
        assert growth_compressions(session) == ["head+sliding"]
        assert any(n.startswith("proactive compression, head:") for n in notices)
        assert any(n.startswith("proactive compression, sliding:") for n in notices)
        session.undo_compression()
        assert session.stats.compressions == 1 and session.stats.last is None
    finally:
        session.close()


def test_a_summary_that_fails_falls_back_and_the_fallback_is_named(model_path, log_file, monkeypatch):
    import app.core.compression.policy as policy_module

    class Failing(ModelSummarizer):
        def __call__(self, prefix, old):
            raise ContextFullError("the context is too small to summarize anything")

    monkeypatch.setattr(policy_module, "ModelSummarizer", Failing)
    with auto_summarizing(model_path, "summarize") as session:
        notices = []
        session.sink = lambda e: notices.append(e.message) if hasattr(e, "message") else None
        result = session.submit("One more question about the rivers, please.")
        assert result.reply
        assert [c.strategy for c in session.conversation.checkpoints] == ["sliding"]
        assert session.stats.last.strategy == "sliding"
        assert growth_compressions(session) == ["sliding"]
        assert any("summarize could not run" in n for n in notices)


@pytest.mark.parametrize("quitting", [True, False])
def test_a_summary_cut_short_keeps_the_question_only_when_quitting(model_path, log_file, quitting):
    """Ctrl+Q while auto-compression writes its summary keeps the question; Esc gives it back to the input."""
    from app.core.conversations.autosave import Autosave

    with auto_summarizing(model_path, "hybrid") as session:
        session.autosave = Autosave()
        before = list(session.conversation.messages)
        real_generate = session.engine.generate

        def generate(params, cancel=None, result=None, on_full=None):
            session.engine.generate = real_generate
            for step in real_generate(params, cancel, result, on_full):
                session.cancel(quitting=quitting)
                yield step

        session.engine.generate = generate
        with pytest.raises(Cancelled):
            session.submit("A question asked just before quitting.")
        kept = Autosave().pending()["conversation"].messages
        assert not any(m.summary for m in kept), "no half-written summary is kept"
        if quitting:
            assert kept[-1].role == "user" and kept[-1].content == "A question asked just before quitting."
        else:
            assert [m.content for m in kept] == [m.content for m in before]

"""KV shifting on the real model: the cache after a shift, the fallback, a reply past a full context, and kv_shift off."""

from __future__ import annotations

import llama_cpp
import pytest

from app.core.config.settings import Settings
from app.core.conversations.conversation import Message
from app.core.engine.results import common_prefix
from app.core.events import ContextShifted, Notice, StopReason
from app.core.session.session import Session

SYSTEM = "You answer questions about rivers in two sentences."


def history(turns: int) -> list[Message]:
    messages = []
    for i in range(turns):
        messages.append(Message("user", f"Question {i}: where does river number {i} rise, and where does it end? " * 2))
        messages.append(Message("assistant", f"River {i} rises in the hills above town {i} and flows to the sea. " * 4))
    return messages


def new_session(model_path, events=None, **settings) -> Session:
    values = dict(n_ctx=2048, temperature=0.0, max_tokens=16, auto_compress=False, system_prompt=SYSTEM)
    session = Session(Settings(**{**values, **settings}), model_path, record_growth=False)
    if events is not None:
        session.sink = events.append
    session.load()
    return session


def positions(session) -> tuple[int, int]:
    memory = session.engine.llm._ctx.memory
    return llama_cpp.llama_memory_seq_pos_min(memory, 0), llama_cpp.llama_memory_seq_pos_max(memory, 0)


def slide(session, target: int = 400):
    plan = session.preview_compression("sliding", target=target)
    ids = session.engine.prompt_ids([m.as_chat() for m in plan.after], add_generation_prompt=False)
    return plan, ids, session.apply_compression(plan)


@pytest.fixture
def session(model_path, log_file):
    s = new_session(model_path)
    yield s
    s.close()


def test_after_a_shifted_sliding_window_the_cache_holds_exactly_the_new_prompt(session):
    session.load_history(history(8))
    session.resync()
    _, ids, result = slide(session)
    assert result.shifted > 0 and result.dropped > 0 and result.shift_note is None
    assert session.engine.cached_ids() == ids
    assert session.engine.n_tokens == len(ids)
    assert positions(session) == (0, len(ids) - 1), "positions contiguous from 0"
    turn = session.submit("And river number 7?")
    assert turn.generated_tokens > 0 and turn.reason in (StopReason.EOG, StopReason.MAX_TOKENS)
    assert turn.sync.reused >= len(ids) - 1, "the next turn keeps the shifted cache"
    assert positions(session)[1] == session.engine.n_tokens - 1


def test_deleting_a_middle_message_shifts_what_follows(session):
    session.load_history(history(6))
    session.resync()
    before = session.engine.cached_ids()
    costs = session.preview_edit(5, None)
    result = session.delete_message(5)
    ids = session.engine.prompt_ids([m.as_chat() for m in session.conversation.messages], add_generation_prompt=False)
    assert result.shifted > len(ids) // 3 and result.evaluated <= 2
    assert costs.way("shift").tokens == result.evaluated
    assert costs.way("exact").tokens == len(ids) - common_prefix(before, ids)
    assert session.engine.cached_ids() == ids and positions(session) == (0, len(ids) - 1)


def test_an_edit_adds_tokens_before_the_rest_so_it_is_evaluated_exactly(session):
    session.load_history(history(4))
    session.resync()
    costs = session.preview_edit(3, "Question 1, put another way: which sea does river 1 reach?")
    assert costs.way("shift").tokens == costs.way("exact").tokens and costs.way("shift").note
    result = session.edit_message(3, "Question 1, put another way: which sea does river 1 reach?")
    assert result.shifted == 0 and result.shift_note is None


def test_where_the_cache_cannot_shift_the_sync_falls_back_and_says_why(model_path, log_file, monkeypatch):
    events: list = []
    session = new_session(model_path, events)
    try:
        session.load_history(history(8))
        session.resync()
        monkeypatch.setattr(session.engine, "shift_blocker", lambda: "forced off for this test")
        before = session.engine.cached_ids()
        plan, ids, result = slide(session)
        assert plan.costs.way("shift").note == "forced off for this test" and plan.costs.way("exact").chosen
        assert result.shifted == 0 and result.shift_note == "forced off for this test"
        assert result.reused == common_prefix(before, ids) and result.evaluated == len(ids) - result.reused
        assert session.engine.cached_ids() == ids
        notes = [e.message for e in events if isinstance(e, Notice)]
        assert any("KV shift not used (forced off for this test)" in n for n in notes)
    finally:
        session.close()


def test_kv_shift_off_reproduces_the_exact_results_token_for_token(model_path, log_file):
    exact = new_session(model_path, kv_shift="off")
    fresh = new_session(model_path, kv_shift="off")
    try:
        for s in (exact, fresh):
            s.load_history(history(8))
        exact.resync()
        before = exact.engine.cached_ids()
        plan, ids, result = slide(exact)
        assert result.shifted == 0 and result.reused == min(common_prefix(before, ids), len(ids) - 1)
        assert result.evaluated == len(ids) - result.reused
        fresh.conversation.replace_all(plan.after)
        fresh.engine.reset()
        fresh.resync()
        a, b = exact.submit("Which river is the longest?"), fresh.submit("Which river is the longest?")
        assert a.reply == b.reply and a.generated_tokens == b.generated_tokens
    finally:
        exact.close()
        fresh.close()


def test_on_full_shift_gives_a_reply_longer_than_the_free_context(model_path, log_file):
    events: list = []
    session = new_session(model_path, events, n_ctx=512, max_tokens=700, on_full="shift", reply_reserve=64)
    try:
        session.load_history(history(2))
        turn = session.submit("Write a very long story about a river that never ends. Keep going.")
        free = session.engine.n_ctx - turn.prompt_tokens
        assert turn.generated_tokens > free, "the reply went past the room the prompt left"
        assert turn.reason is StopReason.MAX_TOKENS or turn.reason is StopReason.EOG
        shifts = [e for e in events if isinstance(e, ContextShifted)]
        assert shifts and all(e.how == "shift" and e.dropped > 0 for e in shifts)
        metrics = session.conversation.messages[-1].metrics
        assert metrics["context_shifts"] == len(shifts) == len(turn.shifts)
        assert metrics["shifted_at"] == shifts[0].at_token and metrics["shift_dropped"] == sum(e.dropped for e in shifts)
        last = shifts[-1]
        assert (last.first_at, last.times, last.total_dropped) == (metrics["shifted_at"], len(shifts),
                                                                   metrics["shift_dropped"])
        assert session.engine.n_tokens <= session.engine.n_ctx
        assert session.conversation.messages[0].role == "system", "the conversation keeps every message"
        system = session.engine.prompt_ids([session.conversation.messages[0].as_chat()], add_generation_prompt=False)
        assert session.engine.cached_ids()[: len(system) - 1] == system[:-1], "the system prompt stays in the cache"
        assert positions(session) == (0, session.engine.n_tokens - 1)
    finally:
        session.close()


def test_on_full_compress_shortens_the_history_and_goes_on(model_path, log_file):
    events: list = []
    session = new_session(model_path, events, n_ctx=1024, max_tokens=500, on_full="compress",
                          compress_strategy="sliding", reply_reserve=64)
    try:
        session.load_history(history(6))
        before = len(session.conversation)
        turn = session.submit("Write a very long story about a river that never ends. Keep going.")
        assert turn.generated_tokens > session.engine.n_ctx - turn.prompt_tokens
        assert [e.how for e in events if isinstance(e, ContextShifted)] and len(session.conversation) < before + 1
        prompt = session.engine.prompt_ids([m.as_chat() for m in session.conversation.messages[:-1]])
        assert session.engine.cached_ids()[: len(prompt)] == prompt, "the cache is the compressed prompt, then the reply"
        assert session.conversation.checkpoints, "the compression can be undone"
    finally:
        session.close()


def test_on_full_stop_stops_at_a_full_context(model_path, log_file):
    session = new_session(model_path, n_ctx=512, max_tokens=700, reply_reserve=64)
    try:
        session.load_history(history(2))
        turn = session.submit("Write a very long story about a river that never ends. Keep going.")
        assert turn.reason is StopReason.CONTEXT_FULL and not turn.shifts
        assert "context_shifts" not in session.conversation.messages[-1].metrics
    finally:
        session.close()


def test_a_snapshot_taken_after_a_shift_restores_and_the_next_turn_reuses_it(model_path, log_file):
    session = new_session(model_path)
    other = new_session(model_path)
    try:
        session.load_history(history(8))
        session.resync()
        _, ids, result = slide(session)
        assert result.shifted > 0
        session.submit("And river number 7?")
        session.save_snapshot("shifted")
        restored = other.restore_snapshot("shifted")
        assert restored.kv_restored, restored.message
        assert restored.reused >= restored.tokens - 1, "the restore is proven by the sync after it"
        held = other.engine.cached_ids()
        assert held == other.engine.prompt_ids([m.as_chat() for m in other.conversation.messages], False)
        assert [m.as_chat() for m in other.conversation.messages] == [m.as_chat() for m in session.conversation.messages]
        a, b = session.submit("Name one more river."), other.submit("Name one more river.")
        assert b.sync.reused >= len(held) - 1 and b.sync.shifted == 0
        assert a.generated_tokens > 0 and b.generated_tokens > 0
    finally:
        session.close()
        other.close()

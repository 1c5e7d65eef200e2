"""Live reload of n_ctx and the cache type: the conversation is kept, bad values are refused."""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.errors import UsageError
from app.core.session.reload import preview_reload, reload
from app.core.session.session import Session


@pytest.fixture
def session(model_path, log_file):
    s = Session(Settings(n_ctx=2048, temperature=0.0, max_tokens=16), model_path)
    s.load()
    s.submit("My favourite colour is green. Remember it.")
    yield s
    s.close()


def test_reload_keeps_the_conversation_and_reports_before_and_after(session):
    messages = [m.content for m in session.conversation.messages]
    assert preview_reload(session, 4096) is None
    report = reload(session, 4096, type_k="q8_0")
    assert [m.content for m in session.conversation.messages] == messages
    before, after = report.before, report.after
    assert (before.n_ctx, after.n_ctx) == (2048, 4096)
    assert (before.size_label, after.size_label) == ("2K", "4K")
    assert after.effective == 3481 and before.effective == 1740
    assert after.type_k == "q8_0" and after.kv_bytes == 30 * 4096 * (3 * 64 * 34 // 32 + 3 * 64 * 2)
    assert session.kv.info(0).agrees is True
    assert report.reevaluated == len(session.engine.cached_ids())
    result = session.submit("What is my favourite colour?")
    assert result.sync.evaluated < 40


def test_a_smaller_size_previews_a_compression_first(session):
    for i in range(8):
        session.conversation.append("user", f"Fact {i}: the river number {i} is long and wide. " * 6)
        session.conversation.append("assistant", f"Noted fact {i} about the river. " * 6)
    plan = preview_reload(session, 512, strategy="sliding")
    assert plan is not None and plan.changed and plan.tokens_after <= 512 - 128
    report = reload(session, 512, plan=plan)
    assert report.after.n_ctx == 512
    assert len(session.engine.cached_ids()) <= 512
    assert session.conversation.checkpoints, "the compression can be undone"


@pytest.mark.parametrize("n_ctx, type_k, words", [(0, None, "positive integer"), (-4, None, "positive integer"),
                                                   ("big", None, "positive integer"), (100, None, "too small"),
                                                   (2048, "q3_x", "unknown")])
def test_invalid_sizes_and_types_are_refused_and_nothing_changes(session, n_ctx, type_k, words):
    cached = session.engine.cached_ids()
    with pytest.raises(UsageError, match=words):
        reload(session, n_ctx, type_k=type_k)
    assert session.engine.n_ctx == 2048 and session.engine.cached_ids() == cached

"""A reply that runs into n_ctx: "used" never passes what the KV cache can hold, and the rest is the overflow."""

from __future__ import annotations

import pytest

from app.core import events as ev
from app.core.config.settings import Settings
from app.core.session.session import Session

pytestmark = pytest.mark.model

N_CTX = 512
PROMPT = "Tell a long story about a lighthouse keeper and the sea, chapter after chapter. " + \
    "The keeper writes in the log every night, and the storms come and go. " * 26


def test_a_reply_stopped_by_a_full_context_counts_no_token_past_n_ctx(model_path, log_file):
    dashboards: list[ev.DashboardUpdate] = []

    def sink(event) -> None:
        if isinstance(event, ev.DashboardUpdate):
            dashboards.append(event)

    settings = Settings(n_ctx=N_CTX, max_tokens=400, temperature=0.0, seed=3, auto_compress=False,
                        reply_reserve=16)
    session = Session(settings, model_path, sink=sink, record_growth=False)
    session.load()
    try:
        result = session.submit(PROMPT)
        assert result.reason is ev.StopReason.CONTEXT_FULL, result.reason
        assert session.engine.n_tokens == N_CTX
        for update in dashboards:
            usage = update.usage
            assert usage.used <= usage.n_ctx == N_CTX
            assert usage.needed == usage.used + usage.overflow
            assert update.kv.n_tokens <= N_CTX
        during = [d.usage for d in dashboards if d.usage.breakdown.in_flight]
        assert during and during[-1].used <= N_CTX and during[-1].overflow == 0
        after = session.usage.snapshot()  # the reply counted into the history, its end-of-turn tokens included
        assert after.needed == sum(m.tokens for m in session.conversation.messages)
        assert after.needed >= N_CTX
        assert (after.used, after.overflow) == (N_CTX, after.needed - N_CTX)
    finally:
        session.close()

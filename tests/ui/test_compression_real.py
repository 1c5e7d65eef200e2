"""Pilot test on the real SmolLM2 model: closing a summary preview keeps the conversation's KV cache."""

from __future__ import annotations

import pytest

from app.core.config.settings import Settings
from app.core.engine.results import common_prefix
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.screens.compression_preview import CompressionPreviewScreen
from harness import SIZE, async_test, send_and_wait, settle, wait_for

pytestmark = pytest.mark.model

TIMEOUT = 90.0


@async_test
async def test_escape_on_a_summary_preview_keeps_the_cache_for_the_next_turn(model_path):
    settings = Settings(n_ctx=1024, max_tokens=16, temperature=0.0, seed=7, auto_compress=False)
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, TIMEOUT), app.engine_state.load_failed
        turns = []
        on_turn = app._on_turn_finished
        app._on_turn_finished = lambda event: (turns.append(event), on_turn(event))
        for question in ("Name a river in France.", "How long is it?", "Which city does it cross?"):
            await send_and_wait(pilot, question)
        engine = app.session.engine
        cached = engine.cached_ids()

        app.preview_compression("summarize")
        assert await wait_for(pilot, lambda: isinstance(app.screen, CompressionPreviewScreen), TIMEOUT)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.screen is app.main and not app.runner.busy, TIMEOUT)
        await settle(pilot)
        assert engine.cached_ids() == cached
        assert app.latest_dashboard.kv.n_tokens == len(cached), "the sidebar shows the cache as it is"

        question = "And what is its main tributary?"
        ids = engine.prompt_ids(app.session.conversation.as_chat() + [{"role": "user", "content": question}])
        await send_and_wait(pilot, question)
        assert turns[-1].reused == common_prefix(cached, ids) >= turns[-2].prompt_tokens

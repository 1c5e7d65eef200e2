"""Pilot test on the real SmolLM2 model: chat settings saved in the dialog reach the next turn."""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

from app.core.config.settings import Settings, load_settings
from app.core.engine.results import common_prefix
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.screens.chat_settings import ChatSettingsScreen
from harness import SIZE, async_test, send_and_wait, settle, wait_for

pytestmark = pytest.mark.model

TIMEOUT = 90.0
OLD = "You are a helpful assistant."
NEW = "You are a ship's cook. Answer every question with one short sentence about soup."


@async_test
async def test_temperature_0_and_a_new_system_prompt_reach_the_next_turn(model_path):
    settings = Settings(n_ctx=1024, max_tokens=24, temperature=0.9, seed=None, auto_compress=False)
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, TIMEOUT), app.engine_state.load_failed
        engine = app.session.engine
        sampled, synced, turns = [], [], []
        generate, sync, on_turn = engine.generate, engine.sync, app._on_turn_finished
        engine.generate = lambda params, *rest, **kw: (sampled.append(params), generate(params, *rest, **kw))[1]
        engine.sync = lambda ids, *rest, **kw: (synced.append(list(ids)), sync(ids, *rest, **kw))[1]
        app._on_turn_finished = lambda event: (turns.append(event), on_turn(event))

        await send_and_wait(pilot, "Name a colour.")
        assert sampled[-1].temperature == 0.9 and OLD in engine.detokenize(synced[-1])
        cached = engine.cached_ids()

        await pilot.press("ctrl+g")
        assert await wait_for(pilot, lambda: isinstance(app.screen, ChatSettingsScreen))
        screen = app.screen
        screen.query_one("#system-prompt", TextArea).text = NEW
        screen.query_one("#field-temperature", Input).value = "0"
        screen.query_one("#field-max_tokens", Input).value = "16"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: app.screen is app.main and not app.runner.busy, TIMEOUT)
        await settle(pilot)
        s = app.session.settings
        assert (s.temperature, s.max_tokens, s.system_prompt) == (0.0, 16, NEW)
        assert app.session.conversation.messages[0].content == NEW
        saved = load_settings()
        assert (saved.temperature, saved.max_tokens, saved.system_prompt) == (0.0, 16, NEW)
        assert engine.cached_ids() == cached, "the cache is left as it is until the next turn"

        await send_and_wait(pilot, "Name a fruit.")
        prompt = synced[-1]
        text = engine.detokenize(prompt)
        assert NEW in text and OLD not in text
        assert prompt == engine.prompt_ids(app.session.conversation.as_chat()[:-1])
        params = sampled[-1]
        assert params.greedy and params.temperature == 0.0 and params.max_tokens == 16
        assert turns[-1].generated_tokens <= 16
        # the KV cache kept only what the new prompt shares with the old one: the template's opening
        reused = turns[-1].reused
        assert reused == common_prefix(cached, prompt) < len(engine.prompt_ids([{"role": "system", "content": OLD}],
                                                                               add_generation_prompt=False))
        assert engine.cached_ids()[:len(prompt)] == prompt

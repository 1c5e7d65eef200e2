"""The dashboard's own cost and the turn trends, measured live while a reply streams."""

from __future__ import annotations

from app.core.session.runner import EngineRunner
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.context_gauge import ContextGauge
from app.ui.widgets.latency_panel import LatencyPanel
from harness import SIZE, async_test, fake_app, settle, wait_for


async def _turn(pilot, app, text: str) -> None:
    turns = app.session.turns
    app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    assert await wait_for(pilot, lambda: app.session.turns > turns and not app.engine_state.command)
    await settle(pilot, 0.6)


@async_test
async def test_the_latency_panel_shows_what_the_frames_cost_while_the_reply_streamed():
    app = fake_app(runner=EngineRunner, token_delay=0.01)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        panel = app.main.query_one(LatencyPanel)
        assert "while a reply streams" in panel.query_one("#latency-body").content.plain
        await _turn(pilot, app, "What is a context window?")
        cost = app.frame_cost.cost()
        assert cost is not None and not cost.streaming
        assert 2 <= cost.frames <= 30  # the fake's reply streams for about 0.4 s, at most 10 frames a second
        assert 0 < cost.cpu_share <= 1.0
        assert cost.frame_ms > 0
        body = panel.query_one("#latency-body").content.plain
        assert f"{100 * cost.cpu_share:.1f}% CPU" in body and f"{cost.frame_ms:,.1f} ms" in body


@async_test
async def test_the_forecast_and_the_cache_hit_rate_appear_after_the_turns():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await settle(pilot)
        gauge = app.main.query_one(ContextGauge)
        assert "forecast  after the first turn" in gauge.content.plain
        await _turn(pilot, app, "What is a context window?")
        await _turn(pilot, app, "And the KV cache?")
        forecast = app.session.trends.forecast(app.session.used, 1740, 1305)
        text = gauge.content.plain
        assert f"{forecast.growth_per_turn:+,.0f} tokens/turn (last 2)" in text
        assert f"in {forecast.turns_to_full} turns" in text and f"compress in {forecast.turns_to_compress} turns" in text
        hits = app.session.trends.cache_hits()
        body = app.main.query_one(LatencyPanel).query_one("#latency-body").content.plain
        assert f"cache hit {hits.turn_percent:.0f}% turn" in body and f"session {hits.session_percent:.0f}%" in body

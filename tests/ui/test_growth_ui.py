"""The growth view from the app, on the fake session: the key opens it, Enter jumps to the message."""

from __future__ import annotations

from app.core.growth.records import TurnRecord
from app.core.growth.store import GrowthStore
from app.ui.screens.growth import GrowthScreen
from app.ui.widgets.conversation_view import MessageBlock
from app.ui.widgets.history_pane import HistoryList
from harness import SIZE, ask, async_test, fake_app, notifications, settle

PROMPTS = ("What is a context window?", "And a KV cache?", "Why does it grow?")
GROWTH = (300, 900, 150)  # turn 2 grew the context most


@async_test
async def test_growth_key_opens_the_view_and_enter_jumps_to_the_message(tmp_path):
    store = GrowthStore(tmp_path / "growth.sqlite3")
    sid = store.start_session("SmolLM2", 2048)
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.open_growth(store, sid)
        context = 0
        for prompt, growth in zip(PROMPTS, GROWTH):
            await ask(pilot, prompt)
            store.record_turn(sid, TurnRecord(prompt, 0.0, "SmolLM2", 2048, growth - 20, 20, context, context + growth))
            context += growth

        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GrowthScreen) and screen.session_id == sid
        assert [r.turn_index for r in screen.rows] == [2, 1, 3]
        await pilot.press("enter")  # the top row: turn 2
        await settle(pilot)
        assert app.screen is app.main
        index = next(i for i, m in enumerate(app.messages()) if m.content == PROMPTS[1])
        assert app.main.history_open
        assert app.main.query_one(HistoryList).highlighted == index
        block = next(b for b in app.main.query(MessageBlock) if b.key[0] == app.messages()[index].id)
        assert block.has_class("-found")

        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
    store.close()


@async_test
async def test_growth_key_says_why_there_is_no_view():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert app.screen is app.main
        assert any("turn history is off" in m for m in notifications(app))


@async_test
async def test_jumping_to_an_early_turn_scrolls_the_conversation_up(tmp_path):
    store = GrowthStore(tmp_path / "growth.sqlite3")
    sid = store.start_session("SmolLM2", 2048)
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.open_growth(store, sid)
        prompts = [f"Question number {n}?" for n in range(1, 6)]
        for n, prompt in enumerate(prompts):
            await ask(pilot, prompt)
            store.record_turn(sid, TurnRecord(prompt, 0.0, "SmolLM2", 2048, 40, 20, 100 * n, 100 * n + 60 + n))
        view = app.main.query_one("#conversation")
        assert view.scroll_y == view.max_scroll_y > 0
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        screen.query_one("#growth-table").move_cursor(row=[r.turn_index for r in screen.rows].index(1))
        await pilot.press("enter")
        await settle(pilot, 0.3)
        block = next(b for b in app.main.query(MessageBlock) if b.has_class("-found"))
        assert str(block.render()) == prompts[0]
        assert view.scroll_y < view.max_scroll_y
        assert view.region.y <= block.region.y < view.region.bottom  # its top is in view

        await pilot.press("f6")  # back to the input: the next turn follows the newest message again
        await ask(pilot, "One more?")
        assert view.scroll_y == view.max_scroll_y
    store.close()

"""The app under faults: a tiny terminal, an exception in the engine thread."""

from __future__ import annotations

from app.core.session.engine_state import Activity
from app.core.session.runner import EngineRunner
from app.ui.widgets.chat_input import ChatInput
from harness import async_test, fake_app, settle, wait_for
from scripted_command import Scripted


@async_test
async def test_a_40x12_terminal_still_works():
    app = fake_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.engine_state.loaded)
        await pilot.resize_terminal(40, 12)
        await settle(pilot)
        app.main.query_one(ChatInput).insert("Still there?")
        await pilot.press("enter")
        await settle(pilot, 0.5)
        assert [m.role for m in app.messages()][-2:] == ["user", "assistant"]
        await pilot.resize_terminal(160, 48)
        await settle(pilot)
        assert app.is_running


@async_test
async def test_an_exception_in_the_engine_thread_is_shown_and_the_app_stays_usable():
    app = fake_app(runner=EngineRunner)
    async with app.run_test(size=(140, 42)) as pilot:
        await wait_for(pilot, lambda: app.engine_state.loaded)

        def explode(_session):
            raise RuntimeError("the disk caught fire")

        app.runner.run(Scripted("submit", explode, Activity.GENERATING))
        await wait_for(pilot, lambda: any("disk caught fire" in n.message for n in app._notifications))
        assert any("submit failed" in n.message for n in app._notifications)
        await wait_for(pilot, lambda: not app.runner.busy)
        app.main.query_one(ChatInput).insert("And now?")
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: [m.role for m in app.messages()][-1:] == ["assistant"])

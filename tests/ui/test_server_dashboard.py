"""The dashboard on a real llama-server: the server panel is live, and the turn's counts are the server's."""

from __future__ import annotations

from app.core.config.settings import Settings
from app.core.engine.server.engine import ServerEngine
from app.core.engine.server.options import ServerOptions
from app.core.session.session import Session
from app.ui.app import ContextWatchApp
from app.ui.widgets.memory_panel import MemoryPanel
from app.ui.widgets.server_panel import ServerPanel
from harness import SIZE, async_test, send, wait_for

LOAD_TIMEOUT = 60.0
TURN_TIMEOUT = 60.0


def server_app(url: str, **options) -> ContextWatchApp:
    settings = Settings(max_tokens=24, temperature=0.0, seed=7)
    return ContextWatchApp(settings, lambda sink: Session(settings, None, sink=sink,
                                                          engine=ServerEngine(ServerOptions(url, **options))))


@async_test
async def test_the_server_panel_shows_the_server_and_the_turns_agreement(llama_server):
    app = server_app(llama_server.url, slot=1)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        panel = app.main.query_one(ServerPanel)
        assert panel.display
        assert await wait_for(pilot, lambda: panel.status is not None and panel.status.online, 10)
        text = panel.content.plain
        assert "llama-server" in text and llama_server.url in text and "slots" in text and "/2 busy" in text
        assert "on http://127.0.0.1:" in app.sub_title
        assert "on server" in app.main.query_one(MemoryPanel).content.plain
        await send(pilot, "Name three colours.")
        assert await wait_for(pilot, lambda: panel.reported is not None and app.engine_state.free, TURN_TIMEOUT)
        text = panel.content.plain
        assert "✓ agrees" in text and "cache_n" in text
        assert panel.reported.report.prompt_tokens == panel.reported.our_prompt_tokens
        assert panel.reported.report.slot == 1


@async_test
async def test_on_a_local_model_there_is_no_server_panel(model_path):
    settings = Settings(n_ctx=512, max_tokens=8)
    app = ContextWatchApp(settings, lambda sink: Session(settings, model_path, sink=sink))
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT)
        assert not app.main.query_one(ServerPanel).display


@async_test
async def test_reload_and_sweep_say_why_a_server_cannot(llama_server):
    from harness import notifications

    app = server_app(llama_server.url)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT)
        await pilot.press("f10")
        assert await wait_for(pilot, lambda: any("n_ctx reload is not available for a server" in n
                                                 for n in notifications(app)), 10)
        await pilot.press("f12")
        assert await wait_for(pilot, lambda: any("sweep is not available for a server" in n
                                                 for n in notifications(app)), 10)
        assert app.screen is app.main

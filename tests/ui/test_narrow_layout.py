"""The layout follows the terminal's width: a strip for the sidebar below 120 columns, Ctrl+B to open
or hide the full sidebar, and the history pane over the chat on a narrow screen."""

from __future__ import annotations

from app.core.engine.model_info import ModelInfo
from app.core.formatting import fmt_int
from app.ui import bindings
from app.ui.widgets.sidebar_strip import SidebarStrip
from fake_session import INFO
from harness import async_test, fake_app, send, settle, wait_for

NARROW, WIDE = (80, 24), (160, 48)


def shown(app, selector: str) -> bool:
    widget = app.main.query_one(selector)
    return widget.display and bool(widget.region)


def chat_width(app) -> int:
    return app.main.query_one("#chat").outer_size.width


@async_test
async def test_at_80_columns_the_sidebar_is_a_strip_and_ctrl_b_opens_it_over_the_chat():
    app = fake_app()
    async with app.run_test(size=NARROW) as pilot:
        await send(pilot)
        screen = app.main
        assert screen.has_class("-narrow") and not screen.sidebar_shown
        assert shown(app, "#sidebar-strip") and not shown(app, "#sidebar")
        strip = screen.query_one(SidebarStrip).render().plain
        assert "3.9%" in strip and "Tier 1 Minimal" in strip and "NORMAL" in strip and "84.7 tok/s" in strip
        assert "Ctrl+B" in strip
        assert chat_width(app) == 80
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert screen.sidebar_shown and shown(app, "#sidebar") and not shown(app, "#sidebar-strip")
        assert chat_width(app) == 80, "the sidebar covers the chat, it does not squeeze it"
        sidebar = screen.query_one("#sidebar")
        assert sidebar.region.right == 80 and sidebar.outer_size.width == 48
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert not screen.sidebar_shown and shown(app, "#sidebar-strip")
        assert screen.query_one("#input").has_focus, "typing goes on in the input"


@async_test
async def test_at_160_columns_the_full_sidebar_shows_and_ctrl_b_hides_it_behind_the_strip():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await send(pilot)
        screen = app.main
        assert screen.has_class("-wide") and screen.sidebar_shown
        assert shown(app, "#sidebar") and not shown(app, "#sidebar-strip")
        assert chat_width(app) == 160 - 48
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert not screen.sidebar_shown and shown(app, "#sidebar-strip")
        assert chat_width(app) == 160, "the chat takes the sidebar's room"
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert screen.sidebar_shown and chat_width(app) == 160 - 48


@async_test
async def test_the_layout_follows_a_resize_and_a_click_on_the_strip_opens_the_sidebar():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await send(pilot)
        await pilot.resize_terminal(*NARROW)
        await settle(pilot)
        assert app.main.has_class("-narrow") and shown(app, "#sidebar-strip") and not shown(app, "#sidebar")
        await pilot.click(SidebarStrip)
        await settle(pilot)
        assert app.main.sidebar_shown
        await pilot.resize_terminal(*WIDE)
        await settle(pilot)
        assert app.main.has_class("-wide") and app.main.sidebar_shown and chat_width(app) == 160 - 48


@async_test
async def test_at_80_columns_the_history_pane_opens_over_the_chat():
    app = fake_app()
    async with app.run_test(size=NARROW) as pilot:
        await send(pilot)
        await pilot.press("ctrl+b")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        screen = app.main
        assert screen.history_open and shown(app, "#history")
        assert not screen.sidebar_shown, "the history pane replaces the open sidebar"
        assert chat_width(app) == 80
        history = screen.query_one("#history")
        assert history.region.x == 0 and history.outer_size.width < 80
        assert screen.query_one("#history-list").has_focus
        await pilot.press("f2")
        await settle(pilot)
        assert not screen.history_open and screen.query_one("#input").has_focus


@async_test
async def test_at_160_columns_the_history_pane_sits_beside_the_chat():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await send(pilot)
        await pilot.press("f2")
        await settle(pilot)
        history = app.main.query_one("#history")
        assert app.main.history_open and chat_width(app) == 160 - 48 - history.outer_size.width


@async_test
async def test_ctrl_b_is_remappable_and_its_key_is_what_the_strip_names():
    from app.core.config.settings import Settings

    app = fake_app(Settings(n_ctx=2048, keys={"app.sidebar": "f11"}))
    async with app.run_test(size=NARROW) as pilot:
        await send(pilot)
        assert "F11 sidebar" in app.main.query_one(SidebarStrip).render().plain
        await pilot.press("f11")
        await settle(pilot)
        assert app.main.sidebar_shown


@async_test
async def test_the_palette_lists_each_action_once_by_name_with_its_key():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        ours = list(app.palette_entries())
        system = list(app.get_system_commands(app.screen))
        titles = [e.title for e in ours] + [c.title for c in system]
        assert len(titles) == len(set(titles)), sorted(t for t in titles if titles.count(t) > 1)
        sidebar = next(e for e in ours if e.title == "Sidebar")
        assert sidebar.help == "Ctrl+B"
        assert next(e for e in ours if e.title == "Help").help == "F1 or ?"
        assert not any("app." in e.help or "history." in e.help for e in ours), "ids are for the help screen"
        assert {"Quit", "Theme"} <= {e.title for e in ours}
        assert not {"Quit", "Theme"} & {c.title for c in system}


@async_test
async def test_every_key_in_the_footer_is_written_one_way():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        keys = [key.key_display for key in app.main.query("FooterKey")]
        assert keys and "F2" in keys and "Esc" in keys and "Ctrl+Q" in keys
        assert not [k for k in keys if k.startswith("^") or (len(k) > 1 and k[0] == "f" and k[1:].isdigit())]


def test_key_labels():
    assert [bindings.key_label(k) for k in ("f2", "ctrl+b", "escape", "question_mark", "shift+tab", "e", "ctrl+p")] == [
        "F2", "Ctrl+B", "Esc", "?", "Shift+Tab", "e", "Ctrl+P"]


def test_the_short_model_name_is_the_file_name_without_gguf_or_the_basename():
    assert INFO.short_name == "SmolLM2-135M-Instruct.Q4_1"
    no_file = {**INFO.__dict__, "path": "http://127.0.0.1:8080"}
    assert ModelInfo(**no_file).short_name == "SmolLM2"
    assert ModelInfo(**{**no_file, "basename": ""}).short_name == INFO.name


@async_test
async def test_the_title_has_the_short_name_and_the_model_panel_the_full_one():
    app = fake_app()
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.sub_title.startswith("SmolLM2-135M-Instruct.Q4_1 · 135M · n_ctx 2,048 · loaded in")
        panel = app.main.query_one("#model").content.plain
        assert INFO.name in panel and INFO.path in panel


@async_test
async def test_on_the_real_model_the_strip_shows_the_turn_s_figures_and_the_title_the_short_name(model_path):
    from test_real_model import LOAD_TIMEOUT, TURN_TIMEOUT, real_app
    from test_real_model import send as send_real

    app = real_app(model_path, max_tokens=16)
    async with app.run_test(size=NARROW) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded, LOAD_TIMEOUT), app.engine_state.load_failed
        await send_real(pilot, "Name a colour.")
        assert await wait_for(pilot, lambda: app.last_stop is not None and not app.runner.busy, TURN_TIMEOUT)
        await settle(pilot, 0.6)
        update = app.latest_dashboard
        strip = app.main.query_one(SidebarStrip).render().plain
        assert f"{update.usage.percent:.1f}%" in strip and f"Tier {update.usage.tier}" in strip
        assert update.memory.level.value.upper() in strip and "tok/s" in strip
        assert not app.main.sidebar_shown and chat_width(app) == 80
        info = app.session.engine.info
        assert app.sub_title.startswith(f"{info.short_name} · ") and not info.short_name.endswith(".gguf")
        assert info.name in app.main.query_one("#model").content.plain
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert app.main.sidebar_shown and chat_width(app) == 80
        assert fmt_int(update.usage.used) in app.main.query_one("#gauge").content.plain

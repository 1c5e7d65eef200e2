"""Pilot tests on the fake session: keys, alerts, history commands, batching, themes."""

from __future__ import annotations

import threading
import time

from textual.command import CommandPalette

from app.core.config.settings import Settings, config_path, load_settings
from app.core.events import StopReason
from app.core.session.runner import EngineRunner
from app.core.telemetry.memory import MemoryLevel
from app.ui import bindings
from app.ui.screens.charts import ChartsScreen
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.edit_message import EditMessageScreen
from app.ui.screens.help import HelpScreen, KeyTable
from app.ui.widgets.alert_banner import AlertBanner
from app.ui.widgets.chat_input import ChatInput
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from app.ui.widgets.history_pane import HistoryList, HistoryPane
from app.ui.widgets.status_line import StatusLine
from harness import SIZE, async_test, fake_app, settle, wait_for


async def ask(pilot, text: str = "What is a context window?") -> None:
    pilot.app.main.query_one(ChatInput).insert(text)
    await pilot.press("enter")
    await settle(pilot)


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


@async_test
async def test_enter_sends_and_the_reply_becomes_markdown():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        assert app.session.calls[:2] == ["load", "submit:What is a context window?"]
        assert app.main.query_one(ChatInput).text == ""
        assert len(app.main.query(ReplyBlock)) == 1
        assert all(r.finished and not r.has_class("-streaming") for r in app.main.query(StreamingReply))
        assert app.main.query_one(ReplyBlock).source == app.messages()[-1].content
        assert app.last_stop is StopReason.EOG


@async_test
async def test_newline_key_inserts_a_line_instead_of_sending():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("first")
        await pilot.press("ctrl+j")
        chat.insert("second")
        await settle(pilot)
        assert chat.text == "first\nsecond"
        assert app.session.calls == ["load"]


@async_test
async def test_tokens_reach_the_screen_at_most_10_times_a_second():
    app = fake_app(runner=EngineRunner, token_delay=0.002)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        flushes: list[float] = []
        show_live = app.main.show_live
        # the flush's own start time: a busy machine may delay the call after it, not the schedule
        app.main.show_live = lambda batch: (flushes.append(app._last_flush), show_live(batch))
        started = time.monotonic()
        await ask(pilot)
        assert await wait_for(pilot, lambda: app.last_stop is not None)
        elapsed = time.monotonic() - started
        assert len(flushes) <= elapsed * 10 + 3
        gaps = [b - a for a, b in zip(flushes, flushes[1:])]
        assert all(gap >= 0.09 for gap in gaps[:-1]), gaps  # the last one comes with GenerationDone
        assert len(app.main.query(ReplyBlock)) == 1


@async_test
async def test_escape_cancels_a_running_reply():
    app = fake_app(runner=EngineRunner, token_delay=0.05)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await ask(pilot)
        assert await wait_for(pilot, lambda: app.turn_tokens >= 2)
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: app.last_stop is not None)
        assert app.last_stop is StopReason.CANCELLED


@async_test
async def test_sending_while_a_reply_runs_is_refused():
    app = fake_app(pause_after=5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await ask(pilot, "another one")
        assert "submit:another one" not in app.session.calls
        assert any("still running" in m for m in notifications(app))
        assert app.main.query_one(ChatInput).text == "another one"


@async_test
async def test_history_pane_keys_pin_delete_regenerate_and_edit():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.main.history_open
        assert isinstance(app.focused, HistoryList)
        assert app.focused.highlighted == 2  # follows the newest message
        await pilot.press("up", "p")
        await settle(pilot)
        assert app.session.calls[-1] == "pin:1"
        assert app.main.query_one(HistoryPane).messages[1].pinned

        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, EditMessageScreen)
        editor = app.screen.query_one("#edit-text")
        editor.clear()
        editor.insert("What is a KV cache?")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.session.calls[-1] == "edit:1"
        sync = app.main.query_one(HistoryPane).last_sync
        assert sync.reused > 0 and sync.evaluated > 0

        await pilot.press("r")
        await settle(pilot)
        assert app.session.calls[-1] == "regenerate:1"

        await pilot.press("down", "d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and app.session.calls[-1] == "preview_edit:2"
        await pilot.press("enter")
        await settle(pilot)
        assert app.session.calls[-1] == "delete:2"
        assert [m.role for m in app.main.query_one(HistoryPane).messages] == ["system", "user"]


@async_test
async def test_edit_cancelled_changes_nothing():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot)
        await pilot.press("f2", "e")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, EditMessageScreen)
        assert not any(c.startswith("edit") for c in app.session.calls)


@async_test
async def test_threshold_and_memory_levels_notify_once_per_crossing_and_banner_follows_level():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        session = app.session
        session.fill_context(1500)
        session.fill_context(1520)  # still over: no second alert
        await settle(pilot)
        assert sum("threshold" in m for m in notifications(app)) == 1

        banner = app.main.query_one(AlertBanner)
        session.set_memory_level(MemoryLevel.WARNING, 72.0)
        await settle(pilot)
        assert not banner.display
        session.set_memory_level(MemoryLevel.EMERGENCY, 96.0)
        await settle(pilot)
        assert banner.display
        session.set_memory_level(MemoryLevel.CRITICAL, 90.0)
        await settle(pilot)
        assert not banner.display
        assert sum("Memory level" in m for m in notifications(app)) == 3


@async_test
async def test_every_app_binding_does_its_job():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        await pilot.press("q")
        await settle(pilot)
        assert app.screen is app.main
        await pilot.press("f2")
        await settle(pilot)
        assert app.main.history_open
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.focused, ChatInput)
        await pilot.press("f4")
        await settle(pilot)
        assert CommandPalette.is_open(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert CommandPalette.is_open(app)


@async_test
async def test_keys_remap_from_settings_and_unknown_ids_warn_once():
    settings = Settings(n_ctx=2048, keys={"app.history": "ctrl+o", "app.nonsense": "x", "also.bad": "y"})
    app = fake_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        warnings = [m for m in notifications(app) if "unknown binding" in m]
        assert len(warnings) == 1 and "also.bad" in warnings[0] and "app.nonsense" in warnings[0]
        await pilot.press("f2")
        await settle(pilot)
        assert not app.main.history_open
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert app.main.history_open


@async_test
async def test_help_lists_every_binding_and_the_palette_every_action():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [e.title for e in app.palette_entries()]
        helps = " ".join(e.help for e in app.palette_entries())
        for b in bindings.APP.bindings + bindings.HISTORY.bindings + bindings.CHAT.bindings[:1]:
            if b.action not in ("command_palette", "help_quit"):
                assert bindings.keys_label(b, {}, " or ") in helps
        for b in bindings.APP.bindings:
            if b.action not in ("command_palette", "help_quit"):
                assert b.description in titles
        for theme in ("contextwatch-dark", "contextwatch-light", "contextwatch-high-contrast"):
            assert f"Theme: {theme}" in titles
        await pilot.press("f1")
        await settle(pilot)
        listed = app.screen.query_one(KeyTable).content.plain
        for scope in bindings.all_scopes():
            assert scope.title in listed
            for b in scope.bindings:
                assert b.id in listed


@async_test
async def test_palette_theme_entry_switches_theme():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "contextwatch-dark"
        entry = next(e for e in app.palette_entries() if e.title == "Theme: contextwatch-light")
        entry.run()
        await settle(pilot)
        assert app.theme == "contextwatch-light"
    assert load_settings().theme == "contextwatch-light", "the next start opens in the theme picked"


@async_test
async def test_unknown_theme_falls_back_with_one_notification():
    app = fake_app(Settings(n_ctx=2048, theme="no-such-theme"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "contextwatch-dark"
        assert sum("Theme" in m for m in notifications(app)) == 1
    assert not config_path().exists(), "a fallback is not a choice: config.toml is not written"


@async_test
async def test_broken_theme_file_falls_back_with_one_notification(tmp_path):
    from app.core.config.paths import resource_dir

    for path in resource_dir("themes").glob("*.toml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    (tmp_path / "contextwatch-light.toml").write_text('name = "contextwatch-light"\nprimary = "not a colour"\n')
    (tmp_path / "garbage.toml").write_text("this is = = not toml")
    app = fake_app(Settings(n_ctx=2048, theme="contextwatch-light"), theme_folder=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "contextwatch-dark"
        theme_notes = [m for m in notifications(app) if "Theme" in m]
        assert len(theme_notes) == 1
        assert "contextwatch-light.toml" in theme_notes[0] and "garbage.toml" in theme_notes[0]


@async_test
async def test_failed_load_says_so_and_refuses_to_send():
    app = fake_app(fail_load="not a GGUF file")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.engine_state.load_failed == "not a GGUF file"
        await ask(pilot)
        assert not any(c.startswith("submit") for c in app.session.calls)


@async_test
async def test_quitting_stops_the_engine_thread():
    app = fake_app(runner=EngineRunner)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        thread = app.runner._thread
        await pilot.press("ctrl+q")
    thread.join(5)
    assert not thread.is_alive()
    assert app.session.calls[-1] == "close"


@async_test
async def test_the_app_counts_as_loaded_only_once_the_engine_thread_is_free():
    gate = threading.Event()
    app = fake_app(runner=EngineRunner, load_gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: "loaded in" in app.sub_title)
        assert not app.engine_state.loaded and app.engine_state.pending == 1
        gate.set()
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        assert app.engine_state.pending == 0
        assert app.main.query_one(StatusLine).text.startswith("ready · ")


@async_test
async def test_a_message_given_back_goes_above_what_was_typed_since():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chat = app.main.query_one(ChatInput)
        chat.insert("typed since")
        app.main.restore_input("not sent")
        assert chat.text == "not sent\ntyped since"

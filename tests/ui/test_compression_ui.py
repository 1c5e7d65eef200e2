"""Pilot tests of the compression controls on the fake session: preview, apply, undo, settings, palette."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, Checkbox, Input, Static

from app.core.config.paths import config_dir
from app.core.config.settings import Settings, load_settings
from app.core.errors import UsageError
from app.ui import bindings
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.compression_settings import CompressionSettingsScreen, check_values
from app.ui.widgets.compression_controls import HISTORY_TOOLS, CompressionControls
from app.ui.widgets.compression_panel import CompressionPanel
from app.ui.widgets.history_pane import HistoryList
from fake_tuning import SUMMARY, tuning_app
from harness import SIZE, async_test, settle


def notifications(app) -> list[str]:
    return [n.message for n in app._notifications]


async def seeded(pilot, turns: int = 5) -> None:
    await settle(pilot)
    pilot.app.session.seed(turns)
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)


def controls(app) -> CompressionControls:
    return app.main.query_one(CompressionControls)


def preview_text(screen: CompressionPreviewScreen) -> str:
    return "\n".join(str(s.content) for s in screen.query("Static"))


@async_test
async def test_preview_lists_what_happens_to_each_message_and_apply_shows_the_kv_reuse():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        before = app.messages()
        await pilot.press("c")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompressionPreviewScreen)
        plan = screen.plan
        assert plan.strategy == "sliding" and plan.changed
        text = preview_text(screen)
        dropped = [i for i in plan.items if i.action == "drop"]
        assert dropped and f"{len(dropped)} dropped" in text
        assert f"{plan.tokens_before:,} → {plan.tokens_after:,} tokens" in text
        for item in plan.items:
            assert f"#{item.index}" in text
        assert f"{dropped[0].tokens_before} → 0" in text

        await pilot.press("a")
        await settle(pilot)
        assert app.screen is app.main
        after = app.messages()
        assert len(after) == len(before) - len(dropped)
        result = str(controls(app).result)
        assert "applied" in result and "reused" in result and "re-evaluated" in result
        stats = app.main.query_one(CompressionPanel).stats
        assert stats.compressions == 1 and stats.tokens_saved == plan.saved
        assert stats.last.reused > 0 and stats.last.evaluated > 0
        assert str(controls(app).result).startswith(f"applied · {stats.last.reused} reused · {stats.last.evaluated}")
        assert not app.main.query_one("#compress-undo", Button).disabled


@async_test
async def test_undo_restores_the_history_exactly():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        undo = app.main.query_one("#compress-undo", Button)
        assert undo.disabled
        before = [(m.role, m.content) for m in app.messages()]
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert len(app.messages()) < len(before)
        await pilot.press("u")
        await settle(pilot)
        assert [(m.role, m.content) for m in app.messages()] == before
        assert "undone" in str(controls(app).result)
        assert undo.disabled
        await pilot.press("u")
        await settle(pilot)
        assert "There is no compression to undo." in notifications(app)


@async_test
async def test_cancelling_a_preview_changes_nothing():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        before = app.messages()
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main
        assert app.messages() == before
        assert not any(c.startswith("apply") for c in app.session.calls)
        assert "nothing changed" in str(controls(app).result)


@async_test
async def test_a_truncation_cuts_the_selected_message_and_never_a_protected_one():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        await pilot.press("s", "s", "s", "s", "s")  # sliding, summarize, hybrid, head, tail, middle
        assert controls(app).strategy == "middle"
        app.main.query_one(HistoryList).highlighted = 3
        await pilot.press("c")
        await settle(pilot)
        plan = app.screen.plan
        assert app.session.calls[-1] == "preview:middle:3"
        cut = [i.index for i in plan.items if i.action == "cut"]
        assert 3 in cut and "[...]" in plan.after[3].content, "the picked message is cut, then the longest as needed"
        newest = max(i for i, m in enumerate(plan.before) if m.role == "user")
        assert newest not in cut and 0 not in cut, "the newest prompt and the system prompt stay whole"
        await pilot.press("escape")
        await settle(pilot)

        app.main.query_one(HistoryList).highlighted = 0  # the system prompt
        await pilot.press("c")
        await settle(pilot)
        assert app.session.calls[-1] == "preview:middle:None"  # the largest unprotected message instead
        cut = [i for i in app.screen.plan.items if i.action == "cut"]
        assert cut and cut[0].index != 0


@async_test
async def test_a_summary_preview_shows_the_new_summary_and_its_cost():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        controls(app).strategy = "summarize"
        await pilot.press("c")
        await settle(pilot)
        text = preview_text(app.screen)
        assert "new summary message" in text and SUMMARY in text
        assert "the summaries took 57 tokens of model work" in text
        await pilot.press("a")
        await settle(pilot)
        assert any(m.summary for m in app.messages())
        assert app.main.query_one(CompressionPanel).stats.summary_tokens == 57


@async_test
async def test_a_near_empty_summary_is_refused_in_the_preview():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        app.session._summarize = lambda _prefix, _old: ("## Summary\n```\n```", 13)
        controls(app).strategy = "summarize"
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompressionPreviewScreen)
        problem = str(app.screen.query_one("#preview-problem", Static).content)
        assert problem.startswith("summarize: refused: the summary the model wrote is near-empty")
        assert app.screen.query_one("#preview-apply", Button).disabled
        assert "new summary message" not in preview_text(app.screen)


@async_test
async def test_short_turns_a_truncation_cannot_cut_are_named_in_the_preview():
    app = tuning_app(target=40)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.session.seed(8, words=2)
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        controls(app).strategy = "head"
        await pilot.press("c")
        await settle(pilot)
        problem = str(app.screen.query_one("#preview-problem", Static).content)
        assert problem.startswith("head cut: no message is long enough to cut")
        assert "sliding (drops the oldest turns) or summarize would reach it" in problem
        assert app.screen.query_one("#preview-apply", Button).disabled


@async_test
async def test_nothing_to_compress_disables_apply():
    app = tuning_app(target=5000)
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot, turns=1)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, CompressionPreviewScreen)
        assert app.screen.query_one("#preview-apply", Button).disabled
        assert "nothing to compress" in preview_text(app.screen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, CompressionPreviewScreen)  # `a` does nothing here


@async_test
async def test_a_busy_engine_refuses_a_preview():
    app = tuning_app(pause_after=3)
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        app.main.focus_input()
        app.main.query_one("#input").insert("hello")
        await pilot.press("enter")
        await settle(pilot)
        app.main.query_one(HistoryList).focus()
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is app.main
        assert any("The engine is busy" in n for n in notifications(app))
        assert not any(c.startswith("preview") for c in app.session.calls)


@async_test
async def test_the_settings_dialog_changes_auto_compression_and_its_trigger():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.main.query_one(CompressionPanel)
        assert panel.policy.on and panel.policy.trigger == 75.0
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompressionSettingsScreen)
        screen.query_one("#auto", Checkbox).value = False
        trigger = screen.query_one("#trigger", Input)
        trigger.value = "500"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and "between 1 and 100" in screen.problem
        trigger.value = "40"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "target must be below the trigger" in screen.problem
        trigger.value = "60"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main
        s = app.session.settings
        assert (s.auto_compress, s.compress_trigger, s.compress_target) == (False, 60.0, 50.0)
        assert not panel.policy.on and panel.policy.trigger == 60.0
        assert any("Auto-compression is off" in n for n in notifications(app))
        assert not (config_dir() / "config.toml").exists()


@async_test
async def test_the_settings_can_be_saved_to_config_toml():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#trigger", Input).value = "70"
        app.screen.query_one("#save-config", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load_settings() == Settings(compress_trigger=70.0)
        assert (config_dir() / "config.toml").stat().st_mode & 0o777 == 0o600


@async_test
async def test_a_broken_config_toml_is_left_alone():
    (config_dir()).mkdir(parents=True, exist_ok=True)
    (config_dir() / "config.toml").write_text("n_ctx = [\n")
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        app.screen.query_one("#save-config", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert (config_dir() / "config.toml").read_text() == "n_ctx = [\n"
        assert any(n.startswith("config.toml was not changed") for n in notifications(app))


@async_test
async def test_the_palette_toggles_auto_compression_and_previews_a_strategy():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await seeded(pilot)
        titles = [e.title for e in app.palette_entries()]
        assert "Auto-compression: turn off" in titles and "Compression trigger…" in titles
        next(e for e in app.palette_entries() if e.title == "Auto-compression: turn off").run()
        await settle(pilot)
        assert app.session.settings.auto_compress is False
        assert "Auto-compression: turn on" in [e.title for e in app.palette_entries()]

        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"preview hybrid")
        await settle(pilot, 0.4)
        await pilot.press("enter")
        await settle(pilot, 0.3)
        assert isinstance(app.screen, CompressionPreviewScreen)
        assert app.screen.plan.strategy == "hybrid"
        assert controls(app).strategy == "hybrid"


def test_every_new_binding_has_an_id_and_a_palette_entry():
    app = tuning_app()
    entries = {e.title: e.help for e in app.palette_entries()}
    helps = " ".join(entries.values())
    for binding in HISTORY_TOOLS.bindings:
        assert binding.id and f"{bindings.key_label(binding.key)} in the history pane" in helps
    for title, key in (("Context size", "F10"), ("Sweep", "F12"), ("Compression settings", "Ctrl+O")):
        assert entries[title] == key
    assert {b.id for b in HISTORY_TOOLS.bindings} <= bindings.all_binding_ids()


def test_settings_values_are_checked():
    assert check_values(True, "80%", "sliding", "40", "128", "1")["compress_trigger"] == 80.0
    for args, message in [
        ((True, "x", "sliding", "40", "1", "1"), "percentage"),
        ((True, "80", "sliding", "0", "1", "1"), "between 1 and 100"),
        ((True, "80", "sliding", "40", "-1", "1"), "cannot be negative"),
        ((True, "80", "sliding", "40", "1", "1.5"), "whole number"),
    ]:
        with pytest.raises(UsageError, match=message):
            check_values(*args)

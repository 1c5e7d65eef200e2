"""Pilot tests of the context-size dialog, the live reload and the in-app sweep, on the fake session.

The core functions the app calls on the engine thread (`context_offer`, `preview_reload`,
`reload`, `run_sweep`) are replaced with scripted ones; the real ones run in
test_tuning_real_model.py.
"""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from textual.widgets import Button, Checkbox, Input, OptionList, Select

from app.core import events as ev
from app.core.config.profiles import load_profiles, resolve_context
from app.core.formatting import fmt_bytes
from app.core.session import commands
from app.core.session.context_offer import ContextOffer
from app.core.session.reload import ContextSetup, ReloadOutcome
from app.core.session.runner import EngineRunner
from app.core.sweep import session_sweep
from app.core.sweep.run import SweepResult
from app.core.telemetry.kv_cache import kv_bytes
from app.ui.actions import context_size as context_actions
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.context_size import V_NEEDS_FA, ContextSizeScreen
from app.ui.screens.sweep import SweepScreen
from app.ui.screens.sweep_run import SweepProgressScreen, SweepSetupScreen
from app.ui.widgets.load_status import LoadStatus
from app.ui.widgets.reload_compare import ReloadComparePanel, compare_rows
from fake_session import INFO, KV_PER_TOKEN, MIB
from fake_tuning import tuning_app
from harness import SIZE, StatusLog, async_test, settle, wait_for

NOW = ContextSetup(2048, "f16", "f16", False, 2048 * KV_PER_TOKEN, 190 * MIB, 1740, 1, "Minimal", "2K")


def setup_for(n_ctx: int, type_k: str = "f16", type_v: str = "f16", flash_attn: bool = False) -> ContextSetup:
    book = load_profiles()
    profile = resolve_context(book, book.get("smollm2"), n_ctx)
    return ContextSetup(n_ctx, type_k, type_v, flash_attn, n_ctx * KV_PER_TOKEN, 190 * MIB + n_ctx * 1000,
                        profile.effective_context_size, profile.tier, profile.tier_name, profile.size_label)


def offer(_session) -> ContextOffer:
    profile = load_profiles().get("smollm2")
    return ContextOffer(NOW, profile.context_profiles, 8192, "smollm2", True, "sliding", (30, 3, 64, 64))


class ScriptedTuning:
    """Scripted stand-ins for the core functions, recording what the app asked for."""

    def __init__(self, fits: bool = True) -> None:
        self.fits = fits
        self.reloads: list[tuple] = []
        self.sweeps: list[tuple] = []

    def preview_reload(self, session, n_ctx, type_k=None, type_v=None, flash_attn=None, strategy=None,
                       model_path=None):
        return None if self.fits else session.preview_compression(strategy or "sliding", target=60)

    def reload(self, session, n_ctx, type_k=None, type_v=None, flash_attn=None, plan=None, model_path=None):
        self.reloads.append((n_ctx, type_k, type_v, flash_attn, plan))
        if plan is not None:
            session.apply_compression(plan, reason="reload", sync=False)
        for stage, fraction in (("loading weights", 0.5), ("allocating the KV cache", 0.9)):
            session.sink(ev.LoadProgress(stage, fraction))
        session.sink(ev.ModelLoaded(INFO, n_ctx, 0.3, ()))
        sync = session.resync()
        return ReloadOutcome(NOW, setup_for(n_ctx, type_k, type_v, flash_attn), sync.evaluated, 0.25)


def script_tuning(monkeypatch) -> ScriptedTuning:
    """The commands reach the scripted offer, reload preview and reload instead of the engine's."""
    scripted = ScriptedTuning()
    monkeypatch.setattr(commands, "context_offer", offer)
    monkeypatch.setattr(commands, "preview_reload", scripted.preview_reload)
    monkeypatch.setattr(commands, "reload", scripted.reload)
    return scripted


@pytest.fixture
def engine(monkeypatch) -> ScriptedTuning:
    return script_tuning(monkeypatch)


async def open_dialog(pilot) -> ContextSizeScreen:
    await settle(pilot)
    pilot.app.session.seed(3)
    await settle(pilot)
    await pilot.press("f10")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ContextSizeScreen)
    return pilot.app.screen


@async_test
async def test_the_dialog_offers_the_profile_sizes_and_a_reload_keeps_the_conversation(engine):
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        sizes = screen.query_one(OptionList)
        assert sizes.option_count == 3 and sizes.highlighted == 0  # 2,048 is the size loaded now
        assert "current" in str(sizes.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert "That is the setup loaded now" in screen.problem and app.screen is screen
        before = [(m.role, m.content) for m in app.messages()]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is app.main
        assert engine.reloads == [(4096, "f16", "f16", False, None)]
        assert [(m.role, m.content) for m in app.messages()] == before
        panel = app.main.query_one(ReloadComparePanel)
        assert panel.display and panel.outcome.after.n_ctx == 4096
        rows = {label: (b, a) for label, b, a in compare_rows(panel.outcome)}
        assert rows["n_ctx"] == ("2,048 (2K)", "4,096 (4K)")
        assert rows["KV bytes"] == ("45.00 MiB", "90.00 MiB")
        assert rows["effective"] == ("1,740", "3,481")
        assert "n_ctx 4,096" in app.sub_title
        assert app.main.query_one(LoadStatus).has_class("-done")
        assert any(n.message.startswith("Reloaded at n_ctx 4,096") for n in app._notifications)


@async_test
async def test_a_reload_shows_the_conversation_being_re_read_and_ready_only_at_the_end(engine, monkeypatch):
    log = StatusLog(monkeypatch)
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_dialog(pilot)
        start = len(log.shown)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is app.main and not app.engine_state.pending
        total = app.main.query_one("#history").last_sync.evaluated
    shown = log.texts()[start:]
    assert "reloading at n_ctx 4,096 · f16/f16…" in shown
    assert "reload: model loaded at n_ctx 4,096 · working…" in shown
    assert f"reload · re-reading the conversation · {total:,} / {total:,} tokens" in shown
    assert shown[-1] == "ready"
    assert not log.ready_while_busy()


@async_test
async def test_a_quantized_v_cache_needs_flash_attention(engine):
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        screen.query_one(OptionList).highlighted = 1
        screen.query_one("#context-type-v", Select).value = "q8_0"
        await settle(pilot)
        assert V_NEEDS_FA in str(screen.query_one("#context-estimate").content)
        assert screen.query_one("#context-reload", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.problem == V_NEEDS_FA and app.screen is screen
        screen.query_one("#context-fa", Checkbox).value = True
        screen.query_one("#context-type-k", Select).value = "q8_0"
        await settle(pilot)
        expected = fmt_bytes(kv_bytes(30, 4096, 3, 64, 64, "q8_0", "q8_0"))
        assert f"KV cache at this setting: {expected}" in str(screen.query_one("#context-estimate").content)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert engine.reloads == [(4096, "q8_0", "q8_0", True, None)]


@async_test
async def test_a_typed_size_must_be_a_multiple_of_256(engine):
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        typed = screen.query_one("#context-typed", Input)
        typed.focus()
        typed.value = "3000"
        await pilot.press("enter")
        await settle(pilot)
        assert "not a multiple of 256" in screen.problem and app.screen is screen
        typed.value = "12288"
        await settle(pilot)
        assert "above the model's training context" in str(screen.query_one("#context-estimate").content)
        typed.value = "3072"
        await pilot.press("enter")
        await settle(pilot)
        assert engine.reloads[0][0] == 3072


@async_test
async def test_a_conversation_that_does_not_fit_is_previewed_compressed_first(engine):
    engine.fits = False
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        screen.query_one(OptionList).highlighted = 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, CompressionPreviewScreen)
        assert "does not fit n_ctx 4,096" in str(preview.query_one("#preview-heading").content)
        assert "Compress and reload" in str(preview.query_one("#preview-apply", Button).label)
        n_before = len(app.messages())
        await pilot.press("a")
        await settle(pilot)
        assert engine.reloads[0][4] is preview.plan
        assert len(app.messages()) < n_before


@async_test
async def test_cancelling_the_compression_cancels_the_reload(engine):
    engine.fits = False
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_dialog(pilot)
        screen.query_one(OptionList).highlighted = 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert engine.reloads == [] and app.screen is app.main


# ----- the sweep


def result(n_ctx: int) -> SweepResult:
    return SweepResult(
        n_ctx=n_ctx, type_k="f16", type_v="f16", flash_attn=False, n_ctx_train=8192, load_seconds=0.2,
        kv_bytes_computed=n_ctx * KV_PER_TOKEN, kv_bytes_logged=n_ctx * KV_PER_TOKEN, kv_agrees=True,
        rss_before_load_bytes=50 * MIB, rss_after_load_bytes=150 * MIB, rss_after_fill_bytes=160 * MIB,
        fill=0.5, fill_tokens=n_ctx // 2, prefill_seconds=1.0, prefill_tps=90.0, question_tokens=37,
        ttft_ms=300.0, decode_tokens=32, decode_tps=45.0,
    )


@async_test
async def test_the_sweep_asks_for_sizes_runs_on_the_engine_thread_and_shows_the_table(engine, monkeypatch):
    seen: list = []

    def fake_sweep(model_path, points, fill, progress=None, cancel=None, **_):
        seen.append((threading.current_thread().name, [p.n_ctx for p in points], fill))
        for i, p in enumerate(points):
            progress(i * 3, len(points) * 3, f"{p.label}: loading")
        return [result(p.n_ctx) for p in points]

    monkeypatch.setattr(session_sweep, "run_sweep", fake_sweep)
    app = tuning_app(runner=EngineRunner)
    app.session.model_path = "/models/fake.gguf"
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await pilot.press("f12")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepSetupScreen))
        setup = app.screen
        sizes = setup.query_one("#sweep-sizes", Input)
        assert sizes.value == "2048,4096"  # the profile's sizes up to 4,096
        sizes.value = "512,1000"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "not a multiple of 256" in setup.problem and app.screen is setup
        sizes.value = "256,512"
        setup.query_one("#sweep-fill", Input).value = "0.25"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen))
        await settle(pilot)
        assert seen == [("contextwatch-engine", [256, 512], 0.25)]
        assert app.screen.query_one("#sweep-table").row_count == 2
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main


@async_test
async def test_escape_stops_a_running_sweep_and_shows_what_it_measured(engine, monkeypatch):
    def slow_sweep(model_path, points, fill, progress=None, cancel=None, **_):
        progress(0, 6, "n_ctx 256 f16/f16: loading")
        done = [result(256)]
        progress(3, 6, "n_ctx 512 f16/f16: loading")
        deadline = time.monotonic() + 10
        while not cancel.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        return done

    monkeypatch.setattr(session_sweep, "run_sweep", slow_sweep)
    app = tuning_app(runner=EngineRunner)
    app.session.model_path = "/models/fake.gguf"
    async with app.run_test(size=SIZE) as pilot:
        assert await wait_for(pilot, lambda: app.engine_state.loaded)
        await pilot.press("f12")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepSetupScreen))
        app.screen.query_one("#sweep-sizes", Input).value = "256,512"
        await pilot.press("ctrl+s")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepProgressScreen))
        progress = app.screen
        assert await wait_for(pilot, lambda: "3 / 6" in str(progress.query_one("#sweep-progress-label").content))
        await pilot.press("escape")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SweepScreen))
        await settle(pilot)
        assert app.screen.query_one("#sweep-table").row_count == 1
        assert any(n.message.startswith("Sweep stopped: 1 setting") for n in app._notifications)


def test_the_sweep_offers_at_most_4096_by_default():
    profile = load_profiles().get("smollm2")
    big = dataclasses.replace(offer(None), sizes=profile.context_profiles)
    assert context_actions.default_sweep_sizes(big) == "2048,4096"
    assert context_actions.default_sweep_sizes(dataclasses.replace(big, sizes=())) == "2048"

"""KV shifting on screen, on the scripted sessions: each way's cost before a compression, an edit or a
deletion; the kv_shift and on_full settings; the reply box's mark where a full context was shifted; and
shifted tokens next to reused ones."""

from __future__ import annotations

from textual.widgets import Checkbox, Select, Static

from app.core import events as ev
from app.core.config.settings import load_settings
from app.ui.display.alerts import reply_shift_mark
from app.ui.screens.compression_preview import CompressionPreviewScreen
from app.ui.screens.compression_settings import CompressionSettingsScreen
from app.ui.screens.confirm import ConfirmScreen
from app.ui.screens.edit_message import TYPING_PAUSE_S, EditMessageScreen
from app.ui.widgets.compression_panel import CompressionPanel
from app.ui.widgets.conversation_view import ReplyBlock, StreamingReply
from app.ui.widgets.history_pane import HistoryList, HistoryPane
from app.ui.widgets.status_line import StatusLine
from fake_tuning import tuning_app
from harness import SIZE, ask, async_test, fake_app, settle

SHIFT_METRICS = {"context_shifts": 2, "shifted_at": 472, "shift_dropped": 500, "on_full": "shift"}


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def chatted(pilot, *questions: str, select: int = 1) -> None:
    """Ask `questions`, open the history pane and select message `select`."""
    await settle(pilot)
    for question in questions:
        await ask(pilot, question)
    await pilot.press("f2")
    await settle(pilot)
    pilot.app.main.query_one(HistoryList).highlighted = select


async def history_open(pilot, turns: int = 5) -> None:
    await settle(pilot)
    pilot.app.session.seed(turns)
    await settle(pilot)
    await pilot.press("f2")
    await settle(pilot)


@async_test
async def test_the_compression_preview_shows_both_ways_and_marks_the_one_taken():
    for size in ((160, 48), (80, 24)):
        app = tuning_app()
        async with app.run_test(size=size) as pilot:
            await history_open(pilot)
            await pilot.press("c")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, CompressionPreviewScreen)
            costs = screen.plan.costs
            shift, exact = costs.way("shift"), costs.way("exact")
            assert shift.chosen and not exact.chosen and shift.tokens < exact.tokens
            lines = text_of(screen, "#preview-costs").splitlines()
            assert shift.tokens == 1  # the tail after the dropped turns shifts whole: only one token is read
            assert lines[0] == f"KV cache: shift 1 token  (taken) │ exact {exact.tokens:,} tokens"
            assert lines[1] == "seconds once a prefill has been measured"  # the seeded history never ran a turn
            await settle(pilot)
            shown = screen.query_one("#preview-costs")
            assert screen.region.contains_region(shown.region) and shown.region.height == 2


@async_test
async def test_a_cache_that_cannot_shift_says_why_in_the_preview():
    app = tuning_app(shift_blocker="the scripted cache holds a sliding-window layer")
    async with app.run_test(size=SIZE) as pilot:
        await history_open(pilot)
        await pilot.press("c")
        await settle(pilot)
        text = text_of(app.screen, "#preview-costs")
        assert "KV cache: shift not available │ exact " in text and "(taken)" in text
        assert "shift: the scripted cache holds a sliding-window layer" in text


@async_test
async def test_delete_asks_first_with_the_cost_each_way_and_esc_keeps_the_message():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await chatted(pilot, "First question", "Second question")
        before = app.messages()
        await pilot.press("d")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        costs = app.session.preview_edit(1, None)
        detail = text_of(screen, "#confirm-detail")
        assert "Delete message #1 (user)?" in text_of(screen, "#confirm-question")
        exact = costs.way("exact")
        assert costs.way("shift").tokens == 1 and exact.tokens > 1
        assert detail.splitlines()[:3] == ["KV cache, each way:", "  shift 1 token · 0.0 s  (taken)",
                                           f"  exact {exact.tokens:,} tokens · {exact.seconds:.1f} s"]
        assert "z in the history pane brings it back" in detail
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.main and app.messages() == before
        assert not any(c.startswith("delete") for c in app.session.calls)

        await pilot.press("d")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.session.calls[-1] == "delete:1"
        assert [m.content for m in app.messages()] == [before[0].content, *(m.content for m in before[2:])]
        await pilot.press("z")
        await settle(pilot)
        assert [m.content for m in app.messages()] == [m.content for m in before]


@async_test
async def test_the_edit_dialog_shows_the_cost_of_the_text_as_typed():
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await chatted(pilot, "What is a context window?")
        await pilot.press("e")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditMessageScreen) and app.session.calls[-1] == "preview_edit:1"
        shown = text_of(screen, "#edit-costs")
        assert "KV cache" in shown and "shift " in shown and "exact " in shown
        assert "shift: the edited message's new tokens come before the rest" in shown  # an edit cannot shift
        screen.query_one("#edit-text").insert(" and why does it fill up so fast with a long chat")
        await pilot.pause(TYPING_PAUSE_S + 0.3)
        await settle(pilot)
        assert app.session.calls.count("preview_edit:1") == 2
        assert text_of(screen, "#edit-costs") != shown  # the longer text costs more to read again
        await pilot.press("escape")
        await settle(pilot)
        assert not any(c.startswith("edit:") for c in app.session.calls)


@async_test
async def test_the_shift_settings_reach_the_session_and_config_toml():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        panel = app.main.query_one(CompressionPanel)
        assert (panel.policy.kv_shift, panel.policy.on_full) == ("auto", "stop")
        await pilot.press("ctrl+o")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CompressionSettingsScreen)
        assert screen.query_one("#kv-shift", Checkbox).value is True
        screen.query_one("#kv-shift", Checkbox).value = False
        screen.query_one("#on-full", Select).value = "compress"
        screen.query_one("#save-config", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is app.main
        s = app.session.settings
        assert (s.kv_shift, s.on_full) == ("off", "compress")
        assert (load_settings().kv_shift, load_settings().on_full) == ("off", "compress")
        assert (panel.policy.kv_shift, panel.policy.on_full) == ("off", "compress")
        assert "kv shift  off" in panel.draw(60).plain
        # with shifting off, the exact way is the one taken
        await pilot.press("f2")
        app.session.seed(5)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        costs = app.screen.plan.costs
        assert costs.way("exact").chosen and not costs.way("shift").chosen


@async_test
async def test_the_streaming_box_marks_a_context_shift():
    app = fake_app(pause_after=5)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Tell me a long story")
        reply = app.main.query_one(StreamingReply)
        assert reply.border_title == "assistant · generating" and reply.border_subtitle == "5 tokens"
        app.session.sink(ev.ContextShifted(472, 250, "shift", 472, 1, 250))
        await settle(pilot)
        assert reply.border_subtitle == "⇤ context shifted at token 472 · 250 dropped · 5 tokens"
        app.session.sink(ev.ContextShifted(731, 250, "shift", 472, 2, 500))
        await settle(pilot)
        assert reply.border_subtitle == "⇤ context shifted at token 472 · 500 dropped · 2 times · 5 tokens"
        app.session.sink(ev.TokenEvent(6, "more ", 6, 0.01, 740))
        await settle(pilot)
        assert reply.border_subtitle.startswith("⇤ context shifted at token 472 · 500 dropped · 2 times · ")


@async_test
async def test_a_kept_reply_marks_its_shift_from_its_metrics():
    app = fake_app(reply_metrics=SHIFT_METRICS)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await ask(pilot, "Tell me a long story")
        box = list(app.main.query(ReplyBlock))[-1]
        assert box.border_title == "assistant"
        tokens = box.border_subtitle.rsplit(" · ", 1)[-1]
        assert box.border_subtitle == f"⇤ context shifted at token 472 · 500 dropped · 2 times · {tokens}"
    assert reply_shift_mark({"stop_reason": "max_tokens", "context_shifts": 1, "shifted_at": 300,
                             "shift_dropped": 120, "on_full": "compress"}) == \
        "⇤ context compressed at token 300 · 120 dropped"
    assert reply_shift_mark({"stop_reason": "eog", "shifted": 40}) == ""  # shifted at sync only: no mark


@async_test
async def test_shifted_tokens_show_next_to_reused_ones():
    app = fake_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        app.session.sink(ev.SyncDone(312, 1, 0.05, shifted=186, dropped=250))
        await settle(pilot)
        pane = app.main.query_one(HistoryPane)
        assert "KV sync 312 reused · 186 shifted · 1 re-evaluated" in str(pane.query_one("#history-sync").content)
        assert app.main.query_one(StatusLine).text == "KV cache: 312 tokens reused, 186 shifted, 1 evaluated in 0.05 s"
        app.session.sink(ev.SyncDone(312, 9, 0.05))
        await settle(pilot)
        assert "312 reused · 9 re-evaluated" in str(pane.query_one("#history-sync").content)


@async_test
async def test_the_palette_turns_kv_shift_off_and_on():
    app = tuning_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        entries = {e.title: e for e in app.palette_entries()}
        entries["KV shift: turn off"].run()
        await settle(pilot)
        assert app.session.settings.kv_shift == "off"
        entries = {e.title: e for e in app.palette_entries()}
        entries["KV shift: turn on"].run()
        await settle(pilot)
        assert app.session.settings.kv_shift == "auto"

"""The UI's plain parts: theme files, the live buffer, the binding catalogue, alert wording."""

from __future__ import annotations

import threading

import pytest
from textual.theme import Theme

from app.core.config.paths import resource_dir
from app.core.events import DashboardUpdate, MemoryLevelChanged, ThresholdCrossed, TokenEvent
from app.core.telemetry.memory import MemoryLevel
from app.ui import bindings
from app.ui.display.alerts import memory_alert, threshold_alert
from app.ui.display.themes import DEFAULT_THEME, ThemeFileError, choose_theme, load_theme_folder, theme_from_toml
from app.ui.engine_link.live_buffer import LiveBuffer
from app.ui.engine_link.messages import EngineMessage, LiveDataReady
from fake_session import FakeSession


def test_shipped_themes_load():
    catalog = load_theme_folder(resource_dir("themes"))
    assert catalog.problems == []
    assert {"contextwatch-dark", "contextwatch-light", "contextwatch-high-contrast"} <= set(catalog.themes)
    assert all(isinstance(t, Theme) for t in catalog.themes.values())
    assert catalog.themes["contextwatch-light"].dark is False


@pytest.mark.parametrize(
    "text, problem",
    [
        ("name = 'x'\n", "primary colour is required"),
        ("primary = 'nope'\n", "is not a colour"),
        ("primary = '#fff'\nsparkle = 'yes'\n", "unknown key"),
        ("primary = '#fff'\ndark = 'no'\n", "dark must be true or false"),
        ("primary = = \n", "not valid TOML"),
        ("primary = '#fff'\n[variables]\nborder = 3\n", "[variables]"),
    ],
)
def test_broken_theme_files_are_refused_with_the_reason(tmp_path, text, problem):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ThemeFileError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        theme_from_toml(path)


def test_choose_theme_falls_back_with_one_message():
    assert choose_theme("contextwatch-light", {DEFAULT_THEME, "contextwatch-light"}, []) == ("contextwatch-light", None)
    chosen, note = choose_theme("nope", {DEFAULT_THEME}, ["bad.toml: not valid TOML"])
    assert chosen == DEFAULT_THEME
    assert "nope" in note and "bad.toml" in note


def test_live_buffer_joins_tokens_and_keeps_only_the_newest_dashboard():
    fake = FakeSession()
    buffer = LiveBuffer()
    assert buffer.take() is None
    assert buffer.add_token(TokenEvent(1, "Hel", 1, 0.01, 10)) is True  # first: ask for a flush
    assert buffer.add_token(TokenEvent(2, "lo", 2, 0.01, 11)) is False
    first, second = fake.dashboard(), fake.dashboard()
    buffer.set_dashboard(first)
    buffer.set_dashboard(second)
    batch = buffer.take()
    assert batch.text == "Hello" and batch.n_tokens == 2 and batch.last_token.index == 2
    assert batch.dashboard is second
    assert buffer.take() is None


def test_live_buffer_is_safe_across_threads():
    buffer = LiveBuffer()
    n = 5000

    def produce():
        for i in range(n):
            buffer.add_token(TokenEvent(i, "x", i, 0.0, i))

    thread = threading.Thread(target=produce)
    thread.start()
    seen = 0
    while thread.is_alive() or seen < n:
        batch = buffer.take()
        if batch is not None:
            seen += batch.n_tokens
            assert len(batch.text) == batch.n_tokens
    thread.join()
    assert seen == n


def test_high_rate_message_replaces_only_its_own_kind():
    assert LiveDataReady().can_replace(LiveDataReady())
    assert not LiveDataReady().can_replace(EngineMessage(object()))
    assert not EngineMessage(object()).can_replace(EngineMessage(object()))


def test_every_binding_has_a_unique_id():
    ids = [b.id for scope in bindings.all_scopes() for b in scope.bindings]
    assert all(ids)
    assert len(ids) == len(set(ids))
    assert bindings.unknown_ids({"app.help": "f10", "nope": "x"}) == ["nope"]


def test_alert_wording():
    rising = threshold_alert(ThresholdCrossed(82.5, 80.0, True))
    assert rising.severity == "warning" and "82.5%" in rising.message and "80%" in rising.message
    assert threshold_alert(ThresholdCrossed(70.0, 80.0, False)).severity == "information"
    emergency = memory_alert(MemoryLevelChanged(MemoryLevel.CRITICAL, MemoryLevel.EMERGENCY, 96.0))
    assert emergency.severity == "error" and "EMERGENCY" in emergency.message and "rose" in emergency.message
    assert "fell" in memory_alert(MemoryLevelChanged(MemoryLevel.WARNING, MemoryLevel.NORMAL, 60.0)).message


def test_dashboard_type_is_what_the_fake_emits():
    assert isinstance(FakeSession().dashboard(), DashboardUpdate)


def test_key_for_names_the_key_a_remap_gives():
    assert bindings.key_for("app.context_size", {}) == "F10"
    assert bindings.key_for("app.context_size", {"app.context_size": "ctrl+r,f7"}) == "ctrl+r"
    assert bindings.key_for("app.context_size", {"app.context_size": "f7"}) == "F7"

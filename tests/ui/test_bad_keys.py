"""Values in `[keys]` that are not keys: one warning at start, those bindings keep their keys, the rest apply."""

from __future__ import annotations

import pytest

from app.core.config.settings import config_path, load_settings
from app.ui import bindings
from app.ui.screens.charts import ChartsScreen
from app.ui.screens.help import HelpScreen
from harness import SIZE, async_test, fake_app, notifications, settle

CONFIG = """\
n_ctx = 2048

[keys]
"app.history" = "ctrl+g"
"app.charts" = "f99"
"app.help" = "ctrl+"
"app.snapshots" = ""
"app.growth" = 5
"app.theme" = "ctrl+shift+alt+nonsense"
"app.nonsense" = "x"
"""


@pytest.mark.parametrize("value", ["ctrl+", "f99", "ctrl+shift+alt+nonsense", "", 5, ["f1"], "ctrl+ctrl+a", "f1,"])
def test_what_is_not_a_key(value):
    assert bindings.key_problem(value) is not None


@pytest.mark.parametrize("value", ["ctrl+o", "f1,question_mark", "ctrl+c,super+c", "shift+enter", "+", "ctrl+plus",
                                   "pageup", "space", "escape", "slash", "A"])
def test_what_is_a_key(value):
    assert bindings.key_problem(value) is None


def test_every_default_binding_is_a_key():
    for scope in bindings.all_scopes():
        for binding in scope.bindings:
            assert bindings.key_problem(binding.key) is None, binding


@async_test
async def test_bad_key_values_warn_once_and_the_rest_of_the_keymap_applies():
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(CONFIG)
    settings = load_settings()  # a value that is not a key no longer refuses the whole config
    app = fake_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        warnings = [m for m in notifications(app) if "not keys" in m]
        assert len(warnings) == 1, notifications(app)
        for binding_id in ("app.charts", "app.help", "app.snapshots", "app.growth", "app.theme"):
            assert binding_id in warnings[0]
        assert "app.history" not in warnings[0]
        assert sum("unknown binding" in m for m in notifications(app)) == 1
        assert app.keymap == {"app.history": "ctrl+g"}
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert app.main.history_open
        await pilot.press("f3")  # a bad value leaves the default key in place
        await settle(pilot)
        assert isinstance(app.screen, ChartsScreen)
        await pilot.press("escape", "f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)

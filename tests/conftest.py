"""Every test runs with config and data folders of its own, and with none of the terminal
settings a user's shell may export (NO_COLOR, TERM, COLUMNS, TEXTUAL_*...): Textual and Rich
read them, and screenshots, wrapped text and colours would change with them.

The real model's fixtures live in `fixtures.real_model`; a test that uses them is marked
`model`, so `pytest -m "not model"` runs every test that needs no model."""

from __future__ import annotations

import importlib.util
import os

import pytest

TERMINAL_VARIABLES = frozenset({
    "NO_COLOR", "FORCE_COLOR", "COLORTERM", "TERM_PROGRAM", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
    "COLUMNS", "LINES", "ROWS", "JUPYTER_COLUMNS", "JUPYTER_LINES", "ESCDELAY", "LC_TERMINAL", "TEXTUAL",
})
PINNED_TERMINAL = {"TERM": "xterm-256color"}


def terminal_variables(environ) -> list[str]:
    """What a shell may set that changes how Textual or Rich draw; the snapshot plugin's own are kept."""
    return sorted(
        name for name in environ
        if name in TERMINAL_VARIABLES or (name.startswith("TEXTUAL_") and not name.startswith("TEXTUAL_SNAPSHOT"))
    )


for _name in terminal_variables(os.environ):
    del os.environ[_name]
os.environ.update(PINNED_TERMINAL)

# Textual reads its TEXTUAL_* switches once, when first imported, and the snapshot plugin imports
# it: pyproject's addopts keeps pytest from loading the plugin early, so it loads here, after the
# clean-up above.
pytest_plugins = ("fixtures.real_model", "fixtures.servers") + (
    ("pytest_textual_snapshot",) if importlib.util.find_spec("pytest_textual_snapshot") else ())

MODEL_FIXTURE = "model_path"  # every fixture that loads the real model asks for it


def pytest_collection_modifyitems(items):
    for item in items:
        if MODEL_FIXTURE in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.model)


@pytest.fixture(autouse=True)
def private_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path


@pytest.fixture(autouse=True)
def plain_terminal(monkeypatch):
    for name in terminal_variables(os.environ):
        monkeypatch.delenv(name)
    for name, value in PINNED_TERMINAL.items():
        monkeypatch.setenv(name, value)

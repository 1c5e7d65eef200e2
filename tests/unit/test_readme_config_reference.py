"""The README's configuration reference names every key config.toml accepts."""

import re
from dataclasses import fields
from pathlib import Path

from app.core.config.settings import Settings
from app.core.engine.server.options import ServerOptions

README = Path(__file__).resolve().parents[2] / "README.md"


def _reference() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("#### Every key"):]


def test_every_setting_is_in_the_reference_table():
    table = _reference()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    named = {name for line in rows for name in re.findall(r"`\[?([a-z_]+)\]?`", line.split("|")[1])}
    assert {f.name for f in fields(Settings)} <= named


def test_every_server_key_is_named():
    table = _reference()
    server_row = next(line for line in table.splitlines() if line.startswith("| `[server]`"))
    for f in fields(ServerOptions):
        assert f"`{f.name}`" in server_row

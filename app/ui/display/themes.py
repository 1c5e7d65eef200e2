"""Themes as data: each `themes/*.toml` file becomes one `textual.theme.Theme`.

A file that cannot be read or holds a bad value is reported, never half-applied.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

from app.core.files.bounded_read import FileLimitError, read_capped

DEFAULT_THEME = "contextwatch-dark"
LAST_RESORT_THEME = "textual-dark"

COLOR_KEYS = (
    "primary", "secondary", "accent", "warning", "error", "success",
    "foreground", "background", "surface", "panel", "boost",
)
NUMBER_KEYS = ("luminosity_spread", "text_alpha")
ALLOWED_KEYS = {"name", "dark", "variables", *COLOR_KEYS, *NUMBER_KEYS}


class ThemeFileError(Exception):
    """A theme file that cannot become a Theme; str() names the file and the problem."""


@dataclass
class ThemeCatalog:
    themes: dict[str, Theme] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _color(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f"{path.name}: {key} must be a colour string, got {value!r}")
    try:
        Color.parse(value)
    except ColorParseError:
        raise ThemeFileError(f"{path.name}: {key} = {value!r} is not a colour") from None
    return value


def theme_from_toml(path: Path) -> Theme:
    try:
        data = tomllib.loads(read_capped(path).decode("utf-8"))
    except FileLimitError as err:
        raise ThemeFileError(f"{path.name}: {err.reason}") from None
    except UnicodeDecodeError:
        raise ThemeFileError(f"{path.name}: not valid UTF-8") from None
    except tomllib.TOMLDecodeError as err:
        raise ThemeFileError(f"{path.name}: not valid TOML ({err})") from None
    except OSError as err:
        raise ThemeFileError(f"{path.name}: cannot read ({err.strerror})") from None

    extra = sorted(set(data) - ALLOWED_KEYS)
    if extra:
        raise ThemeFileError(f"{path.name}: unknown key(s) {', '.join(extra)}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path.name}: name must be a non-empty string")
    if "primary" not in data:
        raise ThemeFileError(f"{path.name}: primary colour is required")
    colors = {key: _color(path, key, data[key]) for key in COLOR_KEYS if key in data}
    numbers = {}
    for key in NUMBER_KEYS:
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise ThemeFileError(f"{path.name}: {key} must be a number between 0 and 1")
            numbers[key] = float(value)
    dark = data.get("dark", True)
    if not isinstance(dark, bool):
        raise ThemeFileError(f"{path.name}: dark must be true or false")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in variables.items()
    ):
        raise ThemeFileError(f"{path.name}: [variables] must map names to strings")
    return Theme(name=name.strip(), dark=dark, variables=dict(variables), **colors, **numbers)


def load_theme_folder(folder: Path | None) -> ThemeCatalog:
    catalog = ThemeCatalog()
    if folder is None or not folder.is_dir():
        catalog.problems.append("the themes folder is missing")
        return catalog
    for path in sorted(folder.glob("*.toml")):
        try:
            theme = theme_from_toml(path)
        except ThemeFileError as err:
            catalog.problems.append(str(err))
            continue
        if theme.name in catalog.themes:
            catalog.problems.append(f"{path.name}: theme {theme.name!r} is defined twice")
            continue
        catalog.themes[theme.name] = theme
    return catalog


def choose_theme(requested: str, available: set[str], problems: list[str]) -> tuple[str, str | None]:
    """The theme to use, and the one message to show when that is not what was asked for."""
    fallback = DEFAULT_THEME if DEFAULT_THEME in available else LAST_RESORT_THEME
    notes = list(problems)
    chosen = requested
    if requested not in available:
        chosen = fallback
        notes.insert(0, f"theme {requested!r} is not available; using {fallback}")
    if not notes:
        return chosen, None
    return chosen, "; ".join(notes)

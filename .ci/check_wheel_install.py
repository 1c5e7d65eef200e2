"""Checks for the wheel's smoke test: the installed package answered, from its own files."""

import json
import sys
from pathlib import Path

import app
from app.core.config.paths import resource_dir
from app.core.config.profiles import default_profiles_path, load_profiles
from app.ui.display.themes import load_theme_folder

run_json, venv = Path(sys.argv[1]), Path(sys.argv[2]).resolve()
package = Path(app.__file__).resolve().parent
assert venv in package.parents, f"app was imported from {package}, not from the installed wheel in {venv}"
for name in ("themes", "profiles"):
    folder = resource_dir(name).resolve()
    assert folder.parent == package, f"{name}/ found at {folder}, outside the installed package"

themes = load_theme_folder(resource_dir("themes"))
assert not themes.problems, themes.problems
assert {"contextwatch-dark", "contextwatch-light", "contextwatch-high-contrast"} <= set(themes.themes), themes.themes
load_profiles(default_profiles_path())

report = json.loads(run_json.read_text())
assert report["tokens"]["generated"] >= 1, report["tokens"]
assert report["context"]["profile_matched"], "the bundled model should match a shipped profile"
unexpected = [w for w in report["warnings"] if not w.startswith("memory level")]  # the machine's own load
assert unexpected == [], unexpected
print(f"wheel smoke test: ok ({package}; reply {report['reply']!r})")

"""pyproject's requires-python is the oldest Python the code runs on."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ADDED_IN = {"tomllib": (3, 11)}  # standard-library modules newer than some Pythons still in use


def minimum_python() -> tuple[int, int]:
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert spec.startswith(">="), spec
    major, minor = spec[2:].split(".")[:2]
    return int(major), int(minor)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_every_standard_module_the_code_imports_exists_in_the_oldest_python_allowed():
    oldest = minimum_python()
    for path in sorted((ROOT / "app").rglob("*.py")):
        for module in imported_modules(path) & set(ADDED_IN):
            assert ADDED_IN[module] <= oldest, f"{path.relative_to(ROOT)} imports {module} (Python {ADDED_IN[module]})"


def test_this_python_is_allowed():
    assert sys.version_info[:2] >= minimum_python()

"""The suite passes whatever terminal settings the shell that runs it exports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from textual import constants

from harness import fake_app

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = {"NO_COLOR": "1", "FORCE_COLOR": "1", "TERM": "dumb", "COLUMNS": "40", "LINES": "10",
           "COLORTERM": "", "TEXTUAL_COLOR_SYSTEM": "standard", "TEXTUAL_FPS": "1", "TEXTUAL_DIM_FACTOR": "0"}


def test_tests_see_a_plain_terminal():
    assert "NO_COLOR" not in os.environ and "COLUMNS" not in os.environ
    assert constants.COLOR_SYSTEM == "auto" and constants.MAX_FPS == 60
    assert not fake_app().no_color


def test_a_screenshot_test_passes_under_a_hostile_shell():
    env = dict(os.environ, **HOSTILE)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/screenshots/test_dashboard_screens.py::test_empty_start", "tests/ui/test_hermetic_terminal.py::test_tests_see_a_plain_terminal"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "2 passed" in proc.stdout

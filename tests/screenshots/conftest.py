"""Screenshot tests: SVGs of the app's screens compared with those in `__snapshots__/<module>/`.

They drive the app through the UI tests' harness and fake session, which live in tests/ui.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

UI_TESTS = str(Path(__file__).resolve().parent.parent / "ui")
if UI_TESTS not in sys.path:
    sys.path.insert(0, UI_TESTS)


@pytest.fixture(autouse=True)
def steady_frame_cost(monkeypatch):
    """The dashboard's own cost is measured live; screenshots show fixed figures instead."""
    from fakes.steady_frame_cost import SteadyFrameCost

    monkeypatch.setattr("app.ui.app.FrameCostMeter", SteadyFrameCost)

"""A command made of any function, for tests that put the engine thread in a chosen state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.core.session.engine_state import Activity


@dataclass(frozen=True)
class Scripted:
    label: str
    fn: Callable[[Any], Any]
    activity: Activity = Activity.WORKING

    @property
    def cancellable(self) -> bool:
        return self.activity is Activity.GENERATING

    def run(self, session: Any) -> Any:
        return self.fn(session)

"""The memory emergency banner: shown while the level is EMERGENCY, gone once it drops."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from app.core.telemetry.memory import MemoryLevel


class AlertBanner(Widget):
    DEFAULT_CSS = """
    AlertBanner {
        height: auto;
        display: none;
        background: $error;
        color: $background;
        text-style: bold;
        padding: 0 1;
    }
    AlertBanner.-shown { display: block; }
    """

    level: reactive[MemoryLevel] = reactive(MemoryLevel.NORMAL)
    percent: reactive[float] = reactive(0.0)
    reload_key: reactive[str] = reactive("F10")

    def watch_level(self, level: MemoryLevel) -> None:
        self.set_class(level is MemoryLevel.EMERGENCY, "-shown")

    def render(self) -> Content:
        return Content(
            f"MEMORY EMERGENCY {self.percent:.1f}% used: the system may start swapping or kill "
            f"the process. Free memory, shorten the history or reload with a smaller n_ctx ({self.reload_key})."
        )

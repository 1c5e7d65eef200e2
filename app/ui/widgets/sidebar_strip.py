"""The collapsed sidebar: one line with the context use, the tier, the memory level and the decode rate.

It shows where the full sidebar does not fit (a narrow terminal) or was hidden, from the
same `DashboardUpdate` the sidebar's panels get; a click, or the key it names, brings the
full sidebar back.
"""

from __future__ import annotations

from textual.content import Content
from textual.message import Message as TextualMessage
from textual.reactive import reactive
from textual.widget import Widget

from app.core.events import DashboardUpdate
from app.core.formatting import fmt_int
from app.ui.widgets.bars import LABEL
from app.ui.widgets.latency_panel import fmt_rate
from app.ui.widgets.levels import MEMORY_STYLES, context_style

SEPARATOR = ("  ·  ", LABEL)


class SidebarStrip(Widget):
    DEFAULT_CSS = """
    SidebarStrip {
        height: 1;
        padding: 0 1;
        background: $surface;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    update: reactive[DashboardUpdate | None] = reactive(None)
    key: reactive[str] = reactive("Ctrl+B")  # the key that opens the full sidebar, as the footer writes it

    class Clicked(TextualMessage):
        """Open or close the full sidebar."""

    def render(self) -> Content:
        hint = Content.assemble(("  ", ""), (self.key, "bold $text-accent"), (" sidebar", LABEL))
        u = self.update
        if u is None:
            return Content.assemble(("waiting for the model…", LABEL), hint)
        usage, memory = u.usage, u.memory
        style = context_style(usage)
        figure = f"needs {fmt_int(usage.needed)} of {fmt_int(usage.n_ctx)}" if usage.overflow else f"{usage.percent:.1f}%"
        return Content.assemble(
            ("ctx ", LABEL), (figure, f"bold {style}"), SEPARATOR,
            (f"Tier {usage.tier} {usage.tier_name}", "bold $text-accent"), SEPARATOR,
            ("mem ", LABEL), (memory.level.value.upper(), f"bold {MEMORY_STYLES[memory.level]}"), SEPARATOR,
            (fmt_rate(u.latency.decode_tps), "bold $text-primary"),
            hint,
        )

    def on_click(self) -> None:
        self.post_message(self.Clicked())

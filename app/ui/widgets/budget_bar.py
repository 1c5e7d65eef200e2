"""Where the budget goes: system, summaries, user, assistant and the reply in flight."""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from app.core.formatting import fmt_int
from app.core.telemetry.usage import ContextUsage
from app.ui.widgets.bars import header, stacked_bar
from app.ui.widgets.text_block import LivePanel

PARTS = (
    ("system", "$secondary"),
    ("summaries", "$accent"),
    ("user", "$primary"),
    ("assistant", "$success"),
    ("in_flight", "$warning"),
)


class BudgetBar(LivePanel):
    usage: reactive[ContextUsage | None] = reactive(None, repaint=False)

    def watch_usage(self) -> None:
        self.redraw()

    def draw(self, width: int) -> Content:
        u = self.usage
        if u is None:
            return Content.assemble(header("BUDGET", "", width), "\n", ("—", "$text-muted"))
        b = u.breakdown
        values = [(getattr(b, name), style) for name, style in PARTS]
        legend: list[Content] = []
        for (name, style), (value, _) in zip(PARTS, values):
            legend.append(Content.assemble(("■ ", style), (name.replace("_", " ") + " ", "$text-muted"), fmt_int(value)))
        lines = _wrap(legend, width)
        return Content.assemble(
            header("BUDGET", Content.assemble(fmt_int(b.total), (" tokens", "$text-muted")), width), "\n",
            stacked_bar(values, u.effective, width), "\n",
            Content("\n").join(lines),
        )


def _wrap(items: list[Content], width: int) -> list[Content]:
    lines: list[Content] = []
    line = Content("")
    for item in items:
        candidate = item if not line.plain else line + "  " + item
        if line.plain and candidate.cell_length > width:
            lines.append(line)
            line = item
        else:
            line = candidate
    if line.plain:
        lines.append(line)
    return lines

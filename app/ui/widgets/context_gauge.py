"""The context gauge: use of the effective budget, the threshold, the tier and size.

A conversation that needs more than the allocated n_ctx shows "needs 514 of 512" and the
tokens over, never a use above what the KV cache can hold.
"""

from __future__ import annotations

from textual.content import Content
from textual.reactive import reactive

from app.core.formatting import fmt_int, fmt_turns
from app.core.telemetry.turn_trends import Forecast
from app.core.telemetry.usage import ContextUsage
from app.ui.widgets.bars import LABEL, badge, header, level_bar, row
from app.ui.widgets.levels import context_state, context_style
from app.ui.widgets.text_block import LivePanel


class ContextGauge(LivePanel):
    usage: reactive[ContextUsage | None] = reactive(None, repaint=False)
    forecast: Forecast | None = None  # set with the usage by `show`

    def watch_usage(self) -> None:
        self.redraw()

    def show(self, usage: ContextUsage, forecast: Forecast | None) -> None:
        """Both at once: one redraw."""
        if usage == self.usage and forecast == self.forecast:
            return
        self.forecast = forecast
        self.set_reactive(ContextGauge.usage, usage)
        self.redraw()

    def draw(self, width: int) -> Content:
        u = self.usage
        if u is None:
            return Content.assemble(header("CONTEXT", "", width), "\n", ("waiting for the model…", LABEL))
        style = context_style(u)
        if u.overflow:
            figure = f"needs {fmt_int(u.needed)} of {fmt_int(u.n_ctx)} "
        else:
            figure = f"{u.percent:.1f}% "
        percent = Content.assemble((figure, f"bold {style}"), badge(context_state(u), style))
        free = ("over", Content.styled(fmt_int(u.overflow), f"bold {style}")) if u.overflow \
            else ("free", fmt_int(u.available))
        profile = u.profile_id if u.profile_matched else f"{u.profile_id} (default: model not listed)"
        lines = [
            header("CONTEXT", percent, width),
            level_bar(u.percent, width, style, tick_percent=u.threshold),
            row(("used", Content.styled(fmt_int(u.used), f"bold {style}")), free),
            row(("effective", fmt_int(u.effective)), ("reserve", fmt_int(u.reserve))),
            row(("allocated", fmt_int(u.n_ctx)), ("warn at", f"{u.threshold:g}%")),
            Content.assemble(
                (f"Tier {u.tier} {u.tier_name}", "bold $text-accent"), ("  ·  ", LABEL),
                (u.size_label, "bold"), ("  ·  profile ", LABEL), profile,
            ),
            *forecast_rows(self.forecast),
        ]
        return Content("\n").join(lines)


def forecast_rows(f: Forecast | None) -> list[Content]:
    if f is None:
        return [row(("forecast", Content.styled("after the first turn", LABEL)))]
    if f.turns_to_full is None:
        full = Content.styled("not growing", LABEL)
    else:
        full = Content.styled(fmt_turns(f.turns_to_full), "bold")
    if f.compress_at is None:
        compress = Content.styled("auto-compress off", LABEL)
    elif f.turns_to_compress is None:
        compress = Content.styled("no compression", LABEL)
    else:
        compress = Content.assemble(("compress ", LABEL), fmt_turns(f.turns_to_compress))
    return [
        row(("forecast", f"{f.growth_per_turn:+,.0f} tokens/turn (last {f.basis_turns})")),
        Content.assemble(row(("full", full)), "  ", compress),
    ]

"""Compression in the sidebar: the counters, the automatic policy, and what the last compression cost."""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.reactive import reactive

from app.core.compression.stats import CompressionStats
from app.core.formatting import DASH, fmt_int
from app.ui.widgets.bars import LABEL, badge, header, row
from app.ui.widgets.compression_controls import strategy_label
from app.ui.widgets.text_block import LivePanel


@dataclass(frozen=True)
class AutoPolicy:
    """The automatic-compression settings the panel shows."""

    on: bool
    trigger: float
    strategy: str
    kv_shift: str = "auto"
    on_full: str = "stop"

    @property
    def usual(self) -> bool:
        """The defaults: the KV cache shifts where it can, a reply that fills the context stops."""
        return (self.kv_shift, self.on_full) == ("auto", "stop")


class CompressionPanel(LivePanel):
    stats: reactive[CompressionStats | None] = reactive(None, repaint=False)
    policy: reactive[AutoPolicy | None] = reactive(None, repaint=False)

    def watch_stats(self) -> None:
        self.redraw()

    def watch_policy(self) -> None:
        self.redraw()

    def draw(self, width: int) -> Content:
        return Content("\n").join([header("COMPRESSION", self._policy_badge(), width), *self._lines()])

    def _policy_badge(self) -> Content:
        p = self.policy
        if p is None:
            return Content("")
        if not p.on:
            return badge("AUTO OFF", "$foreground-muted")
        return Content.assemble((f"{strategy_label(p.strategy)} at {p.trigger:g}% ", LABEL), badge("AUTO", "$success"))

    def _lines(self) -> list[Content]:
        s = self.stats
        p = self.policy
        shifting = [] if p is None or p.usual else [row(("kv shift", p.kv_shift), ("full", p.on_full))]
        if s is None:
            return [Content.styled(DASH, LABEL), *shifting]
        lines = [*shifting,
            row(("runs", Content.styled(fmt_int(s.compressions), "bold")), ("saved", f"{fmt_int(s.tokens_saved)} tok")),
            row(("overflows", f"{fmt_int(s.overflows_prevented)} avoided"), ("summary", f"{fmt_int(s.summary_tokens)} tok")),
        ]
        last = s.last
        if last is None:
            lines.append(row(("last", Content.styled(DASH, LABEL))))
            return lines
        lines += [
            row(("last", Content.assemble(
                (strategy_label(last.strategy), "bold"), (f" · {last.reason} · ", LABEL), f"{last.seconds:.2f} s",
            ))),
            row(("tokens", f"{fmt_int(last.tokens_before)} → {fmt_int(last.tokens_after)}")),
            row(("reused", Content.styled(fmt_int(last.reused), "bold $text-success")),
                ("re-eval", Content.styled(fmt_int(last.evaluated), "bold $text-warning"))),
        ]
        if last.shifted:
            lines.append(row(("shifted", Content.styled(fmt_int(last.shifted), "bold $text-accent"))))
        return lines

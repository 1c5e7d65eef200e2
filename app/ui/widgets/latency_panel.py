"""Latency: a sparkline of per-token latency, TTFT, rolling average, trend, throughput."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widgets import Sparkline

from app.core.events import TurnFinished
from app.core.formatting import DASH, fmt_int, fmt_ms
from app.core.telemetry.latency import LatencyStats, Trend
from app.core.telemetry.turn_trends import CacheHits
from app.ui.engine_link.frame_cost import FrameCost
from app.ui.widgets.bars import header, row
from app.ui.widgets.text_block import TextBlock

LABEL = "$text-muted"
TREND_ARROWS = {Trend.UP: ("↑", "$text-warning"), Trend.DOWN: ("↓", "$text-success"), Trend.STEADY: ("→", "$text-primary")}


def trend_arrow(trend: Trend | None) -> tuple[str, str]:
    return ("·", LABEL) if trend is None else TREND_ARROWS[trend]


def fmt_percent(x: float | None, what: str = "") -> str:
    return DASH if x is None else f"{x:.0f}%{' ' + what if what else ''}"


def fmt_rate(tps: float | None) -> str:
    return DASH if tps is None else f"{tps:,.1f} tok/s"


class LatencyPanel(Vertical):
    DEFAULT_CSS = """
    LatencyPanel { height: auto; }
    LatencyPanel > Sparkline { height: 2; margin: 0 0; }
    LatencyPanel > Sparkline > .sparkline--max-color { color: $warning; }
    LatencyPanel > Sparkline > .sparkline--min-color { color: $success; }
    """

    stats: reactive[LatencyStats | None] = reactive(None)
    last_turn: reactive[TurnFinished | None] = reactive(None)
    cache_hits: CacheHits | None = None  # set with the stats by `show`
    frame_cost: reactive[FrameCost | None] = reactive(None)

    def compose(self) -> ComposeResult:
        yield TextBlock(id="latency-head")
        yield Sparkline([], id="latency-spark")
        yield TextBlock(id="latency-body")

    def on_mount(self) -> None:
        self._refresh_text()

    def watch_stats(self) -> None:
        self._refresh_text()

    def watch_last_turn(self) -> None:
        self._refresh_text()

    def watch_frame_cost(self) -> None:
        self._refresh_text()

    def show(self, stats: LatencyStats, cache_hits: CacheHits | None, frame_cost: FrameCost | None) -> None:
        """All three at once: one redraw."""
        self.cache_hits = cache_hits
        self.set_reactive(LatencyPanel.frame_cost, frame_cost)
        if stats == self.stats:
            self._refresh_text()
        else:
            self.stats = stats

    def on_resize(self) -> None:
        self._refresh_text()

    def _refresh_text(self) -> None:
        if not self.is_mounted:
            return
        width = self.content_size.width or 40
        s = self.stats
        head = self.query_one("#latency-head", TextBlock)
        body = self.query_one("#latency-body", TextBlock)
        spark = self.query_one("#latency-spark", Sparkline)
        if s is None:
            head.content = header("LATENCY", "", width)
            body.content = Content.styled("—", LABEL)
            return
        head.content = header("LATENCY", Content.styled(fmt_rate(s.decode_tps), "bold $text-primary"), width)
        spark.data = list(s.recent_ms)
        arrow, arrow_style = trend_arrow(s.trend)
        trend = DASH if s.trend_ms_per_100 is None else f"{s.trend_ms_per_100:+.2f} ms/100 tok"
        lines = [
            row(("TTFT", Content.styled(fmt_ms(s.ttft_ms), "bold")), ("last", fmt_ms(s.last_ms))),
            row((f"avg({s.window})", Content.styled(fmt_ms(s.rolling_avg_ms), "bold")), ("tokens", fmt_int(s.n_tokens))),
            row(("trend", Content.assemble((arrow, f"bold {arrow_style}"), " ", trend))),
            row(("prefill", fmt_rate(s.prefill_tps))),
            self._last_turn_line(),
            row(
                ("session", f"{fmt_int(s.session_turns)} turn{'' if s.session_turns == 1 else 's'}"),
                ("TTFT", fmt_ms(s.session_avg_ttft_ms)),
            ),
            self._cache_line(),
            self._cost_line(),
        ]
        body.content = Content("\n").join(lines)

    def _cache_line(self) -> Content:
        hits = self.cache_hits
        if hits is None:
            return row(("cache hit", Content.styled(DASH, LABEL)))
        return row(("cache hit", Content.styled(fmt_percent(hits.turn_percent, "turn"), "bold")),
                   ("session", fmt_percent(hits.session_percent)))

    def _cost_line(self) -> Content:
        cost = self.frame_cost
        if cost is None:
            return row(("UI cost", Content.styled("while a reply streams", LABEL)))
        share = DASH if cost.cpu_share is None else f"{100 * cost.cpu_share:.1f}% CPU"
        return row(("UI cost", Content.styled(share, "bold")), ("frame", fmt_ms(cost.frame_ms)))

    def _last_turn_line(self) -> Content:
        t = self.last_turn
        if t is None:
            return row(("last turn", Content.styled(DASH, LABEL)))
        return Content.assemble(
            row(("last turn", f"{fmt_int(t.generated_tokens)} tok"), ("rate", fmt_rate(t.decode_tps))), "\n",
            row(("", Content.styled(t.reason.value.replace("_", " "), "$text-accent")),
                *((("shifted", f"{fmt_int(t.shifted)} tok"),) if t.shifted else ())),
        )

"""The sidebar at its real width of 48 columns with big figures: every value whole, none running into a label."""

from __future__ import annotations

import re

from app.core import events as ev
from app.core.compression.stats import CompressionReport, CompressionStats
from app.core.telemetry.gpu import GpuSample
from app.core.telemetry.kv_cache import KVCacheInfo
from app.core.telemetry.latency import LatencyStats
from app.core.telemetry.memory import MemoryLevel, MemorySnapshot
from app.core.telemetry.usage import BudgetBreakdown, ContextUsage
from app.ui.widgets.bars import row
from app.ui.widgets.budget_bar import BudgetBar
from app.ui.widgets.compression_panel import CompressionPanel
from app.ui.widgets.context_gauge import ContextGauge
from app.ui.widgets.latency_panel import LatencyPanel
from app.ui.widgets.memory_panel import MemoryPanel
from harness import async_test, fake_app, settle

GIB = 1024**3
N_CTX = 131_072

# how the values end: digits, a percent or a dash, or a unit
VALUE_END = r"(?:\d|%|\)|—|B|ms|tok|tok/s|avoided|turns?|q8_0)"
# the labels `row` puts after a value, in every panel
LABELS = ("free", "reserve", "warn at", "peak", "used", "of", "type", "tokens", "last", "rate", "TTFT",
          "saved", "summary", "re-eval")


def big_dashboard() -> ev.DashboardUpdate:
    usage = ContextUsage(
        used=123_456, n_ctx=N_CTX, effective=111_411, percent=110.8, available=0, reserve=19_661, tier=5,
        tier_name="Ultra", size_label="128K", profile_id="qwen2.5-coder", profile_matched=True, threshold=80.0,
        over_threshold=True,
        breakdown=BudgetBreakdown(system=1_234, summaries=23_456, user=45_678, assistant=52_088, in_flight=1_000),
    )
    latency = LatencyStats(
        ttft_ms=12_345.6, prefill_tps=12_345.6, last_ms=1_234.5, rolling_avg_ms=1_234.5, window=128,
        trend_ms_per_100=12.34, decode_tps=1_234.5, n_tokens=131_072, recent_ms=(12.0, 15.0, 11.0),
        session_turns=1_234, session_avg_ttft_ms=12_345.6, session_decode_tps=1_234.5,
    )
    memory = MemorySnapshot(
        rss_bytes=int(23.5 * GIB), peak_rss_bytes=int(23.9 * GIB), baseline_rss_bytes=GIB, growth_bytes=int(22.5 * GIB),
        growth_per_100_tokens=0.0, growth_per_token=0.0, ram_percent=95.4, ram_used_bytes=int(61.2 * GIB),
        ram_total_bytes=64 * GIB, gpus=(GpuSample(0, "GPU", int(23.5 * GIB), 24 * GIB, None),), gpu_state="ok",
        level=MemoryLevel.EMERGENCY, level_percent=95.4, t=ev.now(),
    )
    kv = KVCacheInfo(
        allocated_bytes=12 * GIB, logged_bytes=12 * GIB, bytes_per_token=98_304.0, in_use_bytes=int(11.3 * GIB),
        n_tokens=123_456, n_ctx=N_CTX, type_k="q8_0", type_v="q8_0",
    )
    compression = CompressionStats(
        compressions=1_234, tokens_saved=131_072, overflows_prevented=1_234, summary_tokens=65_536,
        last=CompressionReport("hybrid", "emergency", 131_072, 65_536, 65_000, 12_345, 123.45),
    )
    return ev.DashboardUpdate(usage, latency, memory, kv, compression=compression)


def rendered_lines(widget) -> list[str]:
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def test_a_row_keeps_a_space_after_a_value_wider_than_its_column():
    line = row(("overflows", "1,234 avoided"), ("summary", "65,536 tok")).plain
    assert "avoided summary" in line
    assert row(("a label too wide", "1"), ("b", "2")).plain.startswith("a label too wide 1")


@async_test
async def test_every_panel_at_48_columns_shows_big_values_apart_from_the_next_label():
    app = fake_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        screen = app.main
        assert screen.query_one("#sidebar").outer_size.width == 48
        screen.show_dashboard(big_dashboard())
        screen.show_turn(ev.TurnFinished(ev.StopReason.MAX_TOKENS, 123_456, 131_072, 100_000, 23_456, 12.3, 1_234.5))
        await settle(pilot)
        panels = [screen.query_one(kind) for kind in (ContextGauge, BudgetBar, MemoryPanel, CompressionPanel)]
        panels += list(screen.query_one(LatencyPanel).query("TextBlock"))
        text = {}
        for panel in panels:
            width = panel.content_size.width
            lines = rendered_lines(panel)
            text[panel] = "\n".join(lines)
            for line in lines:
                assert len(line) <= width, f"{line!r} is wider than the panel's {width} columns"
                for label in LABELS:
                    for match in re.finditer(rf"{VALUE_END}{re.escape(label)}\b", line):
                        raise AssertionError(f"a value runs into {label!r} in {line!r} at {match.start()}")
        everything = "\n".join(text.values())
        for figure in ("131,072", "123,456", "111,411", "19,661", "23.5 GiB", "61.2 GiB", "64.0 GiB", "12.0 GiB",
                       "11.3 GiB", "12,345.6 ms", "1,234.5 ms", "12,345.6 tok/s", "1,234.5 tok/s", "1,234 avoided",
                       "65,536 tok", "131,072 tok", "1,234 turns", "q8_0/q8_0"):
            assert figure in everything, f"{figure} is not shown whole"

"""The sweep screen on a minimal app: the table's rows, the two charts, Escape closes it."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.app import App
from textual.widgets import DataTable, Static

from app.core.sweep.report import COLUMNS, table_rows
from app.core.sweep.run import SweepResult
from app.ui.screens.sweep import SweepScreen

MIB = 1024 * 1024


def result(n_ctx: int, **changes) -> SweepResult:
    base = SweepResult(
        n_ctx=n_ctx, type_k="f16", type_v="f16", flash_attn=False, n_ctx_train=8192, load_seconds=0.2,
        kv_bytes_computed=n_ctx * 23040, kv_bytes_logged=n_ctx * 23040, kv_agrees=True,
        rss_before_load_bytes=50 * MIB, rss_after_load_bytes=150 * MIB, rss_after_fill_bytes=160 * MIB,
        fill=0.5, fill_tokens=n_ctx // 2, prefill_seconds=1.0, prefill_tps=90.0, question_tokens=37,
        ttft_ms=300.0, decode_tokens=32, decode_tps=45.0,
    )
    return dataclasses.replace(base, **changes)


RESULTS = [
    result(512),
    result(1024, prefill_tps=80.0),
    result(512, type_k="q8_0", type_v="q8_0", flash_attn=True, kv_bytes_computed=6266880, kv_bytes_logged=None,
           kv_agrees=None, decode_tps=None),
]


class Host(App[None]):
    def __init__(self, results) -> None:
        super().__init__()
        self.results = results
        self.closed: list[None] = []

    def on_mount(self) -> None:
        self.push_screen(SweepScreen(self.results), self.closed.append)


def test_the_table_shows_one_row_per_point_as_core_formats_it():
    async def go():
        app = Host(RESULTS)
        async with app.run_test(size=(150, 50)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SweepScreen)
            table = screen.query_one("#sweep-table", DataTable)
            assert [str(c.label) for c in table.columns.values()] == list(COLUMNS)
            assert table.row_count == 3
            rows = [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]
            assert rows == table_rows(RESULTS)
            assert rows[0][:5] == ("512", "f16/f16", "off", "0.20 s", "11.25 MiB")
            assert rows[2][1:3] == ("q8_0/q8_0", "on") and rows[2][5] == "—"
            memory = str(screen.query_one("#sweep-chart-memory", Static).render())
            speed = str(screen.query_one("#sweep-chart-speed", Static).render())
            assert "Memory against n_ctx" in memory and "RSS filled q8_0/q8_0" in memory
            assert "Speed against n_ctx" in speed and "decode f16/f16" in speed
            await pilot.press("escape")
            await pilot.pause()
            assert not isinstance(app.screen, SweepScreen)
            assert app.closed == [None]

    asyncio.run(go())


def test_no_results_says_so_and_q_closes():
    async def go():
        app = Host([])
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            assert app.screen.query_one("#sweep-table", DataTable).row_count == 0
            assert "no results" in str(app.screen.query_one("#sweep-empty", Static).render())
            assert "no data" in str(app.screen.query_one("#sweep-chart-memory", Static).render())
            await pilot.press("q")
            await pilot.pause()
            assert app.closed == [None]

    asyncio.run(go())


def test_every_binding_has_an_id():
    assert all(b.id for b in SweepScreen.BINDINGS)
    assert "viewer.close" in {b.id for b in SweepScreen.BINDINGS}

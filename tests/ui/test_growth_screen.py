"""The growth screen on a minimal app: rows by growth, sorting, colours, Enter and Escape."""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual.app import App
from textual.color import Color
from textual.widgets import DataTable, Static

from app.core.growth.records import TurnRecord
from app.core.growth.store import GrowthStore
from app.ui.screens.growth import GrowthScreen

T0 = 1_700_000_000.0
# turn: context before -> after; growth +400, +600, -200, +1000
CONTEXTS = [(0, 400), (400, 1000), (1000, 800), (800, 1800)]


class Host(App[None]):
    def __init__(self, store: GrowthStore, session_id: int | None) -> None:
        super().__init__()
        self.store = store
        self.session_id = session_id
        self.results: list[int | None] = []
        self.jumps: list[int] = []

    def on_mount(self) -> None:
        self.push_screen(GrowthScreen(self.store, self.session_id), self.results.append)

    def on_growth_screen_jump_to_turn(self, message: GrowthScreen.JumpToTurn) -> None:
        self.jumps.append(message.turn_index)


def filled_store(tmp_path) -> tuple[GrowthStore, int]:
    store = GrowthStore(tmp_path / "g.sqlite3")
    sid = store.start_session("smol", 4096)
    for i, (before, after) in enumerate(CONTEXTS):
        store.record_turn(sid, TurnRecord(f"prompt {i + 1}", T0 + i, "smol", 4096, after - before, 5, before, after))
    return store, sid


def run(coro):
    return asyncio.run(coro)


def turn_order(screen: GrowthScreen) -> list[int]:
    return [r.turn_index for r in screen.rows]


def test_rows_by_growth_with_stats_and_colours(tmp_path):
    store, sid = filled_store(tmp_path)

    async def go():
        app = Host(store, sid)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, GrowthScreen)
            assert turn_order(screen) == [4, 2, 1, 3]
            table = screen.query_one(DataTable)
            assert table.row_count == 4
            first = table.get_row_at(0)
            assert str(first[5]) == "+1,000" and str(first[6]) == "+125.0%"
            stats = str(screen.query_one("#growth-stats", Static).render())
            for text in ("Turns 4", "Average growth +450.0", "Largest growth +1,000", "Total growth +1,800",
                         "Peak context 1,800"):
                assert text in stats
            colors = app.current_theme.to_color_system().generate()
            top, last = first[5], table.get_row_at(3)[5]
            assert isinstance(top, Text) and top.style.color == Color.parse(colors["error"]).rich_color
            assert last.style.color == Color.parse(colors["success"]).rich_color

    run(go())
    store.close()


def test_sort_cycles_and_enter_jumps(tmp_path):
    store, sid = filled_store(tmp_path)

    async def go():
        app = Host(store, sid)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            await pilot.press("s")
            assert screen.sort_key == "growth_pct" and turn_order(screen) == [2, 4, 3, 1]
            await pilot.press("s")
            assert turn_order(screen) == [4, 3, 2, 1]
            await pilot.press("s")
            assert screen.sort_key == "context_after" and turn_order(screen) == [4, 2, 3, 1]
            await pilot.press("s")
            assert screen.sort_key == "growth"
            await pilot.press("down", "enter")
            await pilot.pause()
            assert app.results == [2] and app.jumps == [2]
            assert not isinstance(app.screen, GrowthScreen)

    run(go())
    store.close()


def test_header_click_sorts_and_escape_closes(tmp_path):
    store, sid = filled_store(tmp_path)

    async def go():
        app = Host(store, sid)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            table = screen.query_one(DataTable)
            column = table.get_column_index("time")
            await pilot.click(DataTable, offset=(sum(c.get_render_width(table) for c in table.ordered_columns[:column]) + 2, 0))
            await pilot.pause()
            assert screen.sort_key == "time" and turn_order(screen) == [4, 3, 2, 1]
            await pilot.press("escape")
            await pilot.pause()
            assert app.results == [None] and app.jumps == []

    run(go())
    store.close()


def test_all_sessions_and_an_empty_store(tmp_path):
    store = GrowthStore(tmp_path / "empty.sqlite3")

    async def go():
        app = Host(store, None)
        async with app.run_test(size=(120, 30)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert screen.rows == []
            assert "All sessions" in str(screen.query_one("#growth-stats", Static).render())
            await pilot.press("enter")
            await pilot.pause()
            assert app.results == [] and isinstance(app.screen, GrowthScreen)

    run(go())
    store.close()

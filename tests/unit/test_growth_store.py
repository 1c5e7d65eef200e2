"""The growth database: recording turns, the reports' queries, migrations, file modes, bad files."""

from __future__ import annotations

import sqlite3
import stat
import threading

import pytest

from app.core.config.paths import data_dir
from app.core.errors import UsageError
from app.core.growth.records import TurnRecord
from app.core.growth.schema import LATEST, MIGRATIONS
from app.core.growth.store import FILE_NAME, GrowthStore

T0 = 1_700_000_000.0


def turn(before: int, after: int, at: float, prompt: str = "p", **extra) -> TurnRecord:
    return TurnRecord(prompt=prompt, time=at, model="smol", n_ctx=4096, input_tokens=after - before,
                      output_tokens=10, context_before=before, context_after=after, **extra)


@pytest.fixture
def store(tmp_path):
    with GrowthStore(tmp_path / "g.sqlite3") as s:
        yield s


@pytest.fixture
def filled(store):
    """Session 1: +400, +600, -200 (compression), +1000; session 2: +100."""
    first = store.start_session("smol", 4096)
    for i, (before, after) in enumerate([(0, 400), (400, 1000), (1000, 800), (800, 1800)]):
        store.record_turn(first, turn(before, after, T0 + i * 60, prompt=f"prompt {i + 1}"))
    second = store.start_session("other", 2048)
    store.record_turn(second, turn(0, 100, T0 + 1000))
    return store, first, second


def test_record_returns_one_based_turn_indexes(store):
    sid = store.start_session("smol", 4096)
    assert [store.record_turn(sid, turn(0, 10 * i, T0 + i)) for i in range(1, 4)] == [1, 2, 3]


def test_top_growth_orders_and_filters(filled):
    store, first, second = filled
    rows = store.top_growth()
    assert [(r.session_id, r.turn_index, r.growth) for r in rows] == [(first, 4, 1000), (first, 2, 600), (first, 1, 400), (second, 1, 100)]
    assert [r.prompt for r in rows[:3]] == ["prompt 4", "prompt 2", "prompt 1"]
    assert [r.growth_pct for r in rows] == [125.0, 150.0, None, None]
    assert [(r.context_before, r.context_after) for r in rows[:2]] == [(800, 1800), (400, 1000)]

    assert [r.turn_index for r in store.top_growth(session_id=first, min_growth=None)] == [4, 2, 1, 3]
    assert [r.growth for r in store.top_growth(min_growth=700)] == [1000]
    assert len(store.top_growth(limit=2)) == 2
    assert [r.turn_index for r in store.top_growth(session_id=first, sort="growth_pct", min_growth=None)] == [2, 4, 3, 1]
    assert [r.turn_index for r in store.top_growth(session_id=first, sort="time")] == [4, 2, 1]
    assert [r.context_after for r in store.top_growth(sort="context_after")] == [1800, 1000, 400, 100]


def test_session_stats_exact(filled):
    store, first, second = filled
    one = store.session_stats(first)
    assert (one.turns, one.average_growth, one.largest_growth, one.total_growth, one.peak_context) == (4, 450.0, 1000, 1800, 1800)
    both = store.session_stats()
    assert (both.session_id, both.turns, both.average_growth, both.largest_growth, both.total_growth, both.peak_context) == (
        None, 5, 380.0, 1000, 1900, 1800)
    assert [(s.id, s.model, s.n_ctx, s.turns, s.peak_context) for s in store.sessions()] == [
        (first, "smol", 4096, 4, 1800), (second, "other", 2048, 1, 100)]


def test_empty_store_stats(store):
    stats = store.session_stats()
    assert (stats.turns, stats.average_growth, stats.largest_growth, stats.total_growth, stats.peak_context) == (0, None, None, 0, None)
    assert store.top_growth() == [] and store.sessions() == []


def test_turn_details_round_trip(store):
    sid = store.start_session("smol", 4096)
    store.record_turn(sid, turn(100, 250, T0, reused=90, evaluated=60, ttft_ms=42.5, tokens_per_s=80.0,
                                compression="sliding_window", shifted=25, context_shifts=1))
    row = store.top_growth()[0]
    assert (row.reused, row.evaluated, row.ttft_ms, row.tokens_per_s, row.compression) == (90, 60, 42.5, 80.0, "sliding_window")
    assert (row.shifted, row.context_shifts) == (25, 1)
    assert (row.model, row.n_ctx, row.output_tokens, row.source, row.growth, row.growth_pct) == ("smol", 4096, 10, "contextwatch", 150, 150.0)


def test_bad_queries_are_usage_errors(filled):
    store, first, _ = filled
    for call in (
        lambda: store.record_turn(99, turn(0, 1, T0)),
        lambda: store.top_growth(session_id=99),
        lambda: store.session_stats(99),
        lambda: store.find_session("nope"),
        lambda: store.top_growth(sort="size"),
    ):
        with pytest.raises(UsageError):
            call()
    assert store.find_session(str(first)) == first


def test_external_ids_are_reused(store):
    a = store.start_session("m", 0, source="claude-code", external_id="abc")
    assert store.start_session("m", 0, source="claude-code", external_id="abc") == a
    assert store.find_session("abc") == a


def test_data_survives_reopening(tmp_path):
    path = tmp_path / "g.sqlite3"
    with GrowthStore(path) as store:
        store.record_turn(store.start_session("smol", 4096), turn(0, 5, T0))
    with GrowthStore(path) as store:
        assert store.session_stats().total_growth == 5


V1_SQL = """
CREATE TABLE sessions (id INTEGER PRIMARY KEY, model TEXT NOT NULL, n_ctx INTEGER NOT NULL, started REAL NOT NULL);
CREATE TABLE turns (id INTEGER PRIMARY KEY, session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    turn_index INTEGER NOT NULL, prompt TEXT NOT NULL, time REAL NOT NULL, input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL, context_before INTEGER NOT NULL, context_after INTEGER NOT NULL);
CREATE INDEX turns_session ON turns(session_id, turn_index);
INSERT INTO sessions VALUES (1, 'smol', 4096, 1700000000.0);
INSERT INTO turns VALUES (1, 1, 1, 'hello', 1700000001.0, 30, 12, 0, 42);
INSERT INTO turns VALUES (2, 1, 2, 'paste a log', 1700000002.0, 900, 20, 42, 962);
PRAGMA user_version = 1;
"""


def test_migration_from_schema_v1_keeps_data(tmp_path):
    path = tmp_path / "old.sqlite3"
    raw = sqlite3.connect(path)
    raw.executescript(V1_SQL)
    raw.close()

    with GrowthStore(path) as store:
        rows = store.top_growth()
        assert [(r.turn_index, r.prompt, r.context_before, r.context_after, r.growth) for r in rows] == [
            (2, "paste a log", 42, 962, 920), (1, "hello", 0, 42, 42)]
        assert rows[0].growth_pct == pytest.approx(920 * 100 / 42)
        assert (rows[0].model, rows[0].n_ctx, rows[0].source, rows[0].compression) == ("smol", 4096, "contextwatch", None)
        assert store.record_turn(1, turn(962, 1000, 1700000003.0)) == 3

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST == 3
    turn_columns = {r[1] for r in raw.execute("PRAGMA table_info(turns)")}
    session_columns = {r[1] for r in raw.execute("PRAGMA table_info(sessions)")}
    raw.close()
    assert {"growth", "growth_pct", "reused", "evaluated", "ttft_ms", "tokens_per_s", "compression",
            "model", "n_ctx", "source_file", "source_line", "source_uuid", "shifted", "context_shifts"} <= turn_columns
    assert {"source", "external_id"} <= session_columns


def v2_database(path) -> None:
    """A growth database as schema version 2 wrote it, with one turn in it."""
    raw = sqlite3.connect(path)
    raw.executescript(V1_SQL)
    raw.execute("BEGIN")
    for statement in MIGRATIONS[1]:
        raw.execute(statement)
    raw.execute("PRAGMA user_version = 2")
    raw.execute("COMMIT")
    raw.execute("UPDATE turns SET reused = 30, evaluated = 870 WHERE id = 2")
    raw.commit()
    raw.close()


def test_migration_from_schema_v2_adds_the_shift_columns(tmp_path):
    path = tmp_path / "v2.sqlite3"
    v2_database(path)
    raw = sqlite3.connect(path)
    assert "shifted" not in {r[1] for r in raw.execute("PRAGMA table_info(turns)")}
    raw.close()

    with GrowthStore(path) as store:
        old = store.top_growth()[0]
        assert (old.prompt, old.reused, old.evaluated, old.shifted, old.context_shifts) == ("paste a log", 30, 870, 0, 0)
        store.record_turn(1, turn(962, 2000, 1700000003.0, reused=40, shifted=900, evaluated=22, context_shifts=2))
        new = store.top_growth()[0]
        assert (new.turn_index, new.reused, new.shifted, new.evaluated, new.context_shifts) == (3, 40, 900, 22, 2)
        assert new.to_dict()["shifted"] == 900 and new.to_dict()["context_shifts"] == 2

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA user_version").fetchone()[0] == LATEST
    raw.close()


def test_a_damaged_shift_count_is_refused_by_name(tmp_path):
    path = tmp_path / "g.sqlite3"
    with GrowthStore(path) as store:
        store.record_turn(store.start_session("smol", 4096), turn(0, 5, T0, shifted=3))
    raw = sqlite3.connect(path)
    raw.execute("UPDATE turns SET context_shifts = 'many'")
    raw.commit()
    raw.close()
    with GrowthStore(path) as store, pytest.raises(UsageError, match="context_shifts"):
        store.top_growth()


def test_default_location_and_private_modes():
    with GrowthStore() as store:
        store.record_turn(store.start_session("smol", 4096), turn(0, 5, T0))
        assert store.path == data_dir() / FILE_NAME
        for p in store.path.parent.glob(FILE_NAME + "*"):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_new_folder_is_private(tmp_path):
    with GrowthStore(tmp_path / "fresh" / "g.sqlite3") as store:
        assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700


def test_corrupt_file_is_a_usage_error_and_left_alone(tmp_path):
    path = tmp_path / "g.sqlite3"
    junk = b"this is not sqlite at all\n" * 200
    path.write_bytes(junk)
    with pytest.raises(UsageError, match="not a usable growth database"):
        GrowthStore(path)
    assert path.read_bytes() == junk


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "g.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA user_version = 99")
    raw.close()
    with pytest.raises(UsageError, match="newer"):
        GrowthStore(path)


def test_one_writer_thread_and_a_reader(store):
    sid = store.start_session("smol", 4096)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for i in range(200):
                store.record_turn(sid, turn(i, i + 1, T0 + i))
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        store.top_growth(limit=5)
        store.session_stats(sid)
    writer.join()
    assert errors == []
    assert store.session_stats(sid).turns == 200

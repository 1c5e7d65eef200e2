"""Per-turn context growth history in SQLite: recorded by the engine thread, read by reports and the UI.

One connection is shared under a lock, so the engine thread can write while another thread
reads. Turn indexes are 1-based and count the turns of their session in order.
"""

from __future__ import annotations

import functools
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from app.core.config.paths import data_dir, ensure_private_dir
from app.core.errors import ContextWatchError, UsageError
from app.core.files.field_checks import FieldError
from app.core.growth.check import GROWTH_ROW, SESSION_ROW, STATS_ROW, checked_rows
from app.core.growth.records import (
    SORTS,
    SOURCE_CLAUDE_CODE,
    SOURCE_CONTEXTWATCH,
    GrowthRow,
    ImportedSession,
    ImportedTurn,
    SessionInfo,
    SessionStats,
    TurnRecord,
    growth_percent,
)
from app.core.growth.schema import NewerSchemaError, migrate
from app.core.limits import INT64_MAX

FILE_NAME = "growth.sqlite3"

_ROW_COLUMNS = (
    "t.id, t.session_id, s.source, t.turn_index, t.prompt, t.time, t.model, t.n_ctx, t.input_tokens,"
    " t.output_tokens, t.context_before, t.context_after, t.growth, t.growth_pct, t.reused, t.evaluated,"
    " t.ttft_ms, t.tokens_per_s, t.compression, t.shifted, t.context_shifts"
)


def _guarded(method):
    """sqlite errors become one clear line for the user instead of a traceback."""

    @functools.wraps(method)
    def wrapper(self: GrowthStore, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except sqlite3.OperationalError as err:
            raise ContextWatchError(f"growth database {self.path}: {err}") from None
        except sqlite3.DatabaseError as err:
            raise UsageError(self._unreadable(err)) from None

    return wrapper


class GrowthStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else data_dir() / FILE_NAME
        self._lock = threading.RLock()
        self._conn = self._open()

    def _unreadable(self, err: Exception) -> str:
        return f"{self.path} is not a usable growth database ({err}); move it aside to start a new one"

    def _open(self) -> sqlite3.Connection:
        if not self.path.parent.exists():
            ensure_private_dir(self.path.parent)
        try:
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
        except OSError as err:
            raise UsageError(f"cannot open the growth database {self.path}: {err.strerror or err}") from None
        conn = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn)
        except NewerSchemaError as err:
            conn.close()
            raise UsageError(f"{self.path}: {err}") from None
        except sqlite3.DatabaseError as err:
            conn.close()
            raise UsageError(self._unreadable(err)) from None
        return conn

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> GrowthStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _checked(self, rows: list[tuple], columns, what: str) -> list[tuple]:
        try:
            return checked_rows(rows, columns, what)
        except FieldError as err:
            raise UsageError(self._unreadable(err)) from None

    def _read(self, sql: str, params: Iterable = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    # writing

    @_guarded
    def start_session(
        self, model: str, n_ctx: int, source: str = SOURCE_CONTEXTWATCH, external_id: str | None = None
    ) -> int:
        """A new session's id; with an `external_id` already stored for `source`, that session's id."""
        with self._write() as conn:
            return self._ensure_session(conn, source, external_id, model, n_ctx, time.time())[0]

    def _ensure_session(self, conn, source, external_id, model, n_ctx, started) -> tuple[int, bool]:
        if external_id is not None:
            row = conn.execute(
                "SELECT id FROM sessions WHERE source = ? AND external_id = ?", (source, external_id)
            ).fetchone()
            if row:
                return row[0], False
        cur = conn.execute(
            "INSERT INTO sessions (model, n_ctx, started, source, external_id) VALUES (?, ?, ?, ?, ?)",
            (model, n_ctx, started, source, external_id),
        )
        return cur.lastrowid, True

    @_guarded
    def record_turn(self, session_id: int, turn: TurnRecord) -> int:
        """Store one turn at the end of its session; returns its 1-based turn index."""
        with self._write() as conn:
            self._require_session(conn, session_id)
            index = conn.execute(
                "SELECT COALESCE(MAX(turn_index), 0) + 1 FROM turns WHERE session_id = ?", (session_id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO turns (session_id, turn_index, prompt, time, model, n_ctx, input_tokens,"
                " output_tokens, context_before, context_after, growth, growth_pct, reused, evaluated,"
                " ttft_ms, tokens_per_s, compression, shifted, context_shifts)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session_id, index, turn.prompt, turn.time, turn.model, turn.n_ctx, turn.input_tokens,
                    turn.output_tokens, turn.context_before, turn.context_after,
                    turn.context_after - turn.context_before,
                    growth_percent(turn.context_before, turn.context_after),
                    turn.reused, turn.evaluated, turn.ttft_ms, turn.tokens_per_s, turn.compression,
                    turn.shifted, turn.context_shifts,
                ),
            )
            return index

    @_guarded
    def import_sessions(self, sessions: Iterable[ImportedSession]) -> tuple[int, int]:
        """Add other tools' turns in one transaction; returns (imported, duplicates skipped)."""
        imported = duplicates = 0
        with self._write() as conn:
            for batch in sessions:
                if not batch.turns:
                    continue
                started = min(t.time for t in batch.turns)
                sid, created = self._ensure_session(conn, SOURCE_CLAUDE_CODE, batch.external_id, batch.model, 0, started)
                added = sum(self._insert_imported(conn, sid, t) for t in batch.turns)
                imported += added
                duplicates += len(batch.turns) - added
                if added:
                    self._resequence(conn, sid)
                    conn.execute("UPDATE sessions SET started = MIN(started, ?) WHERE id = ?", (started, sid))
                elif created:
                    conn.execute("DELETE FROM sessions WHERE id = ?", (sid,))
        return imported, duplicates

    @staticmethod
    def _insert_imported(conn: sqlite3.Connection, session_id: int, t: ImportedTurn) -> int:
        cur = conn.execute(
            "INSERT OR IGNORE INTO turns (session_id, turn_index, prompt, time, model, input_tokens,"
            " output_tokens, context_before, context_after, reused, evaluated, source_file, source_line,"
            " source_uuid) VALUES (?, 0, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
            (
                session_id, t.prompt, t.time, t.model, t.input_tokens, t.output_tokens, t.context_after,
                t.reused, t.evaluated, t.source_file, t.source_line, t.source_uuid,
            ),
        )
        return cur.rowcount

    @staticmethod
    def _resequence(conn: sqlite3.Connection, session_id: int) -> None:
        """Order an imported session by time; each turn's context before is the previous one's after."""
        rows = conn.execute(
            "SELECT id, context_after FROM turns WHERE session_id = ? ORDER BY time, source_line, id",
            (session_id,),
        ).fetchall()
        updates, before = [], 0
        for index, (turn_id, after) in enumerate(rows, start=1):
            updates.append((index, before, after - before, growth_percent(before, after), turn_id))
            before = after
        conn.executemany(
            "UPDATE turns SET turn_index = ?, context_before = ?, growth = ?, growth_pct = ? WHERE id = ?", updates
        )

    # reading

    @staticmethod
    def _require_session(conn: sqlite3.Connection, session_id: int) -> None:
        if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
            raise UsageError(f"no session {session_id} in the growth history (see `contextwatch stats`)")

    @_guarded
    def find_session(self, ref: str | int) -> int:
        """A session id from its number or from the id the other tool gave it."""
        with self._lock:
            text = str(ref).strip()
            if text.isascii() and text.isdigit() and int(text) <= INT64_MAX:
                row = self._conn.execute("SELECT id FROM sessions WHERE id = ?", (int(text),)).fetchone()
                if row:
                    return row[0]
            rows = self._conn.execute("SELECT id FROM sessions WHERE external_id = ?", (text,)).fetchall()
        if len(rows) == 1:
            return rows[0][0]
        if rows:
            raise UsageError(f"session {text!r} is ambiguous: use its number (see `contextwatch stats`)")
        raise UsageError(f"no session {text!r} in the growth history (see `contextwatch stats`)")

    @_guarded
    def top_growth(
        self, limit: int | None = 10, min_growth: int | None = 0, session_id: int | None = None, sort: str = "growth"
    ) -> list[GrowthRow]:
        """Turns by `sort` (growth, growth_pct, time, context_after), biggest or newest first."""
        if sort not in SORTS:
            raise UsageError(f"unknown sort {sort!r}: choose from {', '.join(SORTS)}")
        where, params = ["1"], []
        if session_id is not None:
            with self._lock:
                self._require_session(self._conn, session_id)
            where.append("t.session_id = ?")
            params.append(session_id)
        if min_growth is not None:
            where.append("t.growth >= ?")
            params.append(min_growth)
        sql = (
            f"SELECT {_ROW_COLUMNS} FROM turns t JOIN sessions s ON s.id = t.session_id"
            f" WHERE {' AND '.join(where)} ORDER BY {SORTS[sort]}, t.time, t.id"
        )
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [GrowthRow(*row) for row in self._checked(self._read(sql, params), GROWTH_ROW, "turn")]

    @_guarded
    def session_stats(self, session_id: int | None = None) -> SessionStats:
        """Turns, average, largest and total growth, and peak context: of one session, or of all."""
        sql = "SELECT COUNT(*), AVG(growth), MAX(growth), COALESCE(SUM(growth), 0), MAX(context_after) FROM turns"
        params: tuple = ()
        if session_id is not None:
            with self._lock:
                self._require_session(self._conn, session_id)
            sql += " WHERE session_id = ?"
            params = (session_id,)
        return SessionStats(session_id, *self._checked(self._read(sql, params), STATS_ROW, "statistics")[0])

    _SESSIONS_SQL = (
        "SELECT s.id, s.source, s.external_id, s.model, s.n_ctx, s.started, COUNT(t.id), MAX(t.context_after)"
        " FROM sessions s LEFT JOIN turns t ON t.session_id = s.id {where} GROUP BY s.id ORDER BY s.started, s.id"
    )

    @_guarded
    def sessions(self) -> list[SessionInfo]:
        return [SessionInfo(*row) for row in self._checked(self._read(self._SESSIONS_SQL.format(where="")), SESSION_ROW,
                                                           "session")]

    @_guarded
    def session(self, session_id: int) -> SessionInfo:
        rows = self._checked(self._read(self._SESSIONS_SQL.format(where="WHERE s.id = ?"), (session_id,)), SESSION_ROW,
                             "session")
        if not rows:
            raise UsageError(f"no session {session_id} in the growth history (see `contextwatch stats`)")
        return SessionInfo(*rows[0])

"""The growth database's schema, one migration per version; `PRAGMA user_version` says which ran."""

from __future__ import annotations

import sqlite3

V1 = (
    """CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        model TEXT NOT NULL,
        n_ctx INTEGER NOT NULL,
        started REAL NOT NULL
    )""",
    """CREATE TABLE turns (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        turn_index INTEGER NOT NULL,
        prompt TEXT NOT NULL,
        time REAL NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        context_before INTEGER NOT NULL,
        context_after INTEGER NOT NULL
    )""",
    "CREATE INDEX turns_session ON turns(session_id, turn_index)",
)

V2 = (
    "ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'contextwatch'",
    "ALTER TABLE sessions ADD COLUMN external_id TEXT",
    "CREATE UNIQUE INDEX sessions_external ON sessions(source, external_id) WHERE external_id IS NOT NULL",
    "ALTER TABLE turns ADD COLUMN model TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE turns ADD COLUMN n_ctx INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE turns ADD COLUMN growth INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE turns ADD COLUMN growth_pct REAL",
    "ALTER TABLE turns ADD COLUMN reused INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE turns ADD COLUMN evaluated INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE turns ADD COLUMN ttft_ms REAL",
    "ALTER TABLE turns ADD COLUMN tokens_per_s REAL",
    "ALTER TABLE turns ADD COLUMN compression TEXT",
    "ALTER TABLE turns ADD COLUMN source_file TEXT",
    "ALTER TABLE turns ADD COLUMN source_line INTEGER",
    "ALTER TABLE turns ADD COLUMN source_uuid TEXT",
    """UPDATE turns SET
        model = (SELECT s.model FROM sessions s WHERE s.id = turns.session_id),
        n_ctx = (SELECT s.n_ctx FROM sessions s WHERE s.id = turns.session_id),
        growth = context_after - context_before,
        growth_pct = CASE WHEN context_before > 0
                     THEN (context_after - context_before) * 100.0 / context_before END""",
    "CREATE INDEX turns_growth ON turns(growth)",
    "CREATE UNIQUE INDEX turns_uuid ON turns(source_uuid) WHERE source_uuid IS NOT NULL",
    """CREATE UNIQUE INDEX turns_file_line ON turns(source_file, source_line)
        WHERE source_uuid IS NULL AND source_file IS NOT NULL""",
)

V3 = (
    "ALTER TABLE turns ADD COLUMN shifted INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE turns ADD COLUMN context_shifts INTEGER NOT NULL DEFAULT 0",
)

MIGRATIONS: tuple[tuple[str, ...], ...] = (V1, V2, V3)
LATEST = len(MIGRATIONS)


class NewerSchemaError(Exception):
    """The file was written by a newer ContextWatch."""


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to LATEST, one transaction per version; returns the version it had."""
    start = conn.execute("PRAGMA user_version").fetchone()[0]
    if start > LATEST:
        raise NewerSchemaError(f"schema version {start} is newer than this ContextWatch knows ({LATEST})")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            # read again under the write lock: another process may have migrated meanwhile
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version >= LATEST:
                conn.execute("COMMIT")
                return start
            for statement in MIGRATIONS[version]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {version + 1}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

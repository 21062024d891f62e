"""The workspace database: SQLite in WAL mode with foreign keys and versioned migrations.

Predictions and review decisions refer to segments by their content key, not by row, so re-segmenting an
edited transcript never deletes a decision: unchanged sentences find theirs again, and the rest stay on
record (with their text) as training data.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lccode.clock import utc_now

SCHEMA_VERSION = 1
TABLES = ("meta", "transcripts", "segments", "runs", "predictions", "decisions")


now = utc_now  # the timestamp rows carry (lccode.clock)

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE transcripts (
        id TEXT PRIMARY KEY,
        source_path TEXT NOT NULL,
        format TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        community TEXT NOT NULL,
        level TEXT CHECK (level IS NULL OR level IN ('ecosystem', 'fieldlab', 'micro')),
        kind TEXT NOT NULL CHECK (kind IN ('interview', 'meeting')),
        date TEXT,
        language TEXT NOT NULL,
        roles TEXT NOT NULL DEFAULT '[]',
        text TEXT NOT NULL,
        added_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE segments (
        key TEXT PRIMARY KEY,
        transcript_id TEXT NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        text TEXT NOT NULL,
        speaker TEXT,
        role TEXT,
        turn_index INTEGER,
        lang TEXT,
        t_start REAL,
        t_end REAL,
        UNIQUE (transcript_id, idx),
        CHECK (end_char > start_char)
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',
        lccode_version TEXT NOT NULL,
        model_id TEXT,
        model_hash TEXT,
        codebook_ref TEXT,
        params TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE predictions (
        segment_key TEXT NOT NULL,
        model_id TEXT NOT NULL,
        run_id INTEGER REFERENCES runs(id),
        probs TEXT NOT NULL,
        codes TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (segment_key, model_id)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        segment_key TEXT NOT NULL,
        transcript_id TEXT NOT NULL,
        segment_text TEXT NOT NULL,
        analyst TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('coded', 'unsure')),
        codes TEXT NOT NULL,
        proposal TEXT,
        model_id TEXT,
        source TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX segments_transcript ON segments(transcript_id, idx);
    CREATE INDEX decisions_segment ON decisions(segment_key, analyst, id);
    """,
}


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def table_names(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def pragma(conn: sqlite3.Connection, name: str):
    """A connection setting (journal_mode, foreign_keys ...), as SQLite reports it."""
    if not name.isidentifier():
        raise ValueError(f"not a pragma name: {name!r}")
    return conn.execute(f"PRAGMA {name}").fetchone()[0]


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: a snapshot to compare before and after a write that must change nothing."""
    return {t: sorted(tuple(r) for r in conn.execute(f"SELECT * FROM {t}")) for t in TABLES}


def checkpoint(conn: sqlite3.Connection) -> None:
    """Fold the write-ahead log into the database file, so copying the file alone copies everything."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def schema_version(conn: sqlite3.Connection) -> int:
    if "meta" not in table_names(conn):
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the schema up to SCHEMA_VERSION, one transaction per step."""
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        from lccode.errors import LccodeError

        raise LccodeError(f"this workspace was written by a newer lccode (schema {current}, this one knows {SCHEMA_VERSION})",
                          fix="upgrade lccode (pip install -U lccode)")
    for version in range(current + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for stmt in MIGRATIONS[version].split(";"):
                if stmt.strip():
                    conn.execute(stmt)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)", (str(version),))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION

"""The workspace database: SQLite in WAL mode with foreign keys and versioned migrations.

Predictions and review decisions refer to segments by their content key, not by row, so re-segmenting an
edited transcript never deletes a decision: unchanged sentences find theirs again, and the rest stay on
record (with their text) as training data.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = 1

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


def schema_version(conn: sqlite3.Connection) -> int:
    has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
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

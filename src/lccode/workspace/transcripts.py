"""Transcripts and their segments in the workspace database; read back as `records.Segment` and `StoredTranscript`.

Segments are read with typed filters (a transcript, a community, a level, a language) rather than SQL, in
transcript order. A segment's language is its own where the segmenter detected one, else its transcript's.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from lccode.records import Segment, Transcript
from lccode.workspace.db import now
from lccode.workspace.records import StoredTranscript

# The filters a segment query (and the review queue) takes, and the SQL each stands for.
SCOPE = {"community": "t.community", "transcript": "t.id", "level": "t.level", "language": "COALESCE(s.lang, t.language)"}


@dataclass
class AddResult:
    transcript_id: str
    status: str  # added | updated | unchanged
    n_segments: int
    source_path: str | None = None
    notes: tuple[str, ...] = ()  # what the reader noticed (a manifest speaker label never used, ...)
    languages: str | None = None  # e.g. 'nl', 'nl, en', 'other (hu)'; None when unchanged


def scope_sql(filters: dict[str, str | None], transcripts: Iterable[str] | None = None) -> tuple[list[str], list]:
    """Conditions over `segments s JOIN transcripts t` for the filters that are set, and their parameters."""
    where, params = [], []
    for name, value in filters.items():
        if name not in SCOPE:
            raise ValueError(f"unknown segment filter {name!r}")
        if value is not None:
            where.append(f"{SCOPE[name]} = ?")
            params.append(value)
    if transcripts is not None:
        ids = list(transcripts)
        where.append(f"s.transcript_id IN ({','.join('?' * len(ids))})")
        params += ids
    return where, params


def where_sql(conditions: list[str]) -> str:
    return (" WHERE " + " AND ".join(conditions)) if conditions else ""


def row_to_segment(r: sqlite3.Row) -> Segment:
    return Segment(r["transcript_id"], r["idx"], r["start_char"], r["end_char"], r["text"], r["speaker"], r["role"],
                   r["turn_index"], r["lang"], r["t_start"], r["t_end"], r["key"])


def _segment_row(s: Segment) -> tuple:
    return (s.key, s.transcript_id, s.index, s.start_char, s.end_char, s.text, s.speaker, s.role, s.turn_index, s.lang,
            s.t_start, s.t_end)


class TranscriptStore:
    """The transcripts and segments tables (a part of `Workspace`)."""

    conn: sqlite3.Connection

    def known_hash(self, transcript_id: str) -> str | None:
        row = self.conn.execute("SELECT content_hash FROM transcripts WHERE id=?", (transcript_id,)).fetchone()
        return row[0] if row else None

    def is_current(self, tr: Transcript) -> bool:
        """True when the transcript is stored with this content and this metadata, so adding it changes nothing.

        A corrected manifest row (community, level, language, roles ...) of an unchanged file is an update.
        """
        m = tr.meta
        row = self.conn.execute("SELECT content_hash, community, level, kind, date, language, roles FROM transcripts "
                                "WHERE id=?", (m.id,)).fetchone()
        return row is not None and tuple(row) == (tr.content_hash, m.community, m.level, m.kind, m.date, m.language,
                                                  json.dumps(m.roles))

    def add_transcript(self, tr: Transcript, segments: list[Segment]) -> AddResult:
        """Store one transcript and its segments in one transaction; unchanged content and metadata is a no-op.

        An update replaces the transcript's segments; predictions and decisions are keyed by segment text, so
        those of unchanged sentences apply again and the others stay on record.
        """
        old = self.known_hash(tr.meta.id)
        if self.is_current(tr):
            return AddResult(tr.meta.id, "unchanged", 0)
        m = tr.meta
        stamp = now()
        with self.transaction():
            c = self.conn
            if old is None:
                c.execute("INSERT INTO transcripts VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          (m.id, tr.source_path, tr.source_format, tr.content_hash, m.community, m.level, m.kind, m.date,
                           m.language, json.dumps(m.roles), tr.text, stamp, stamp))
            else:
                c.execute("DELETE FROM segments WHERE transcript_id=?", (m.id,))
                c.execute("""UPDATE transcripts SET source_path=?, format=?, content_hash=?, community=?, level=?, kind=?,
                             date=?, language=?, roles=?, text=?, updated_at=? WHERE id=?""",
                          (tr.source_path, tr.source_format, tr.content_hash, m.community, m.level, m.kind, m.date,
                           m.language, json.dumps(m.roles), tr.text, stamp, m.id))
            self.add_segments(segments)
        return AddResult(m.id, "added" if old is None else "updated", len(segments))

    def add_segments(self, segments: list[Segment]) -> None:
        """Store segments of transcripts already stored (a REFI re-import adds the spans it did not have)."""
        with self.transaction():
            self.conn.executemany("INSERT INTO segments VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", map(_segment_row, segments))

    def transcript(self, transcript_id: str) -> StoredTranscript | None:
        row = self.conn.execute("SELECT * FROM transcripts WHERE id=?", (transcript_id,)).fetchone()
        return StoredTranscript.from_row(row) if row else None

    def transcripts(self) -> list[StoredTranscript]:
        return [StoredTranscript.from_row(r) for r in self.conn.execute("SELECT * FROM transcripts ORDER BY id")]

    def transcript_text(self, transcript_id: str) -> str:
        return self.conn.execute("SELECT text FROM transcripts WHERE id=?", (transcript_id,)).fetchone()[0]

    def segments(self, *, transcript: str | None = None, transcripts: Iterable[str] | None = None,
                 community: str | None = None, level: str | None = None, language: str | None = None) -> list[Segment]:
        """Segments in transcript order: all, or those of one transcript, of several, of a community, level or
        language (filters combine)."""
        where, params = scope_sql({"transcript": transcript, "community": community, "level": level,
                                   "language": language}, transcripts)
        rows = self.conn.execute("SELECT s.* FROM segments s JOIN transcripts t ON t.id = s.transcript_id"
                                 f"{where_sql(where)} ORDER BY s.transcript_id, s.idx", params).fetchall()
        return [row_to_segment(r) for r in rows]

    def segment(self, key: str) -> Segment | None:
        row = self.conn.execute("SELECT * FROM segments WHERE key=?", (key,)).fetchone()
        return row_to_segment(row) if row else None

    def segment_keys(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT key FROM segments")}

    def count_segments(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM segments").fetchone()[0]

    def neighbours(self, seg: Segment, n: int | None = None) -> tuple[list[Segment], list[Segment]]:
        n = self.context if n is None else n
        rows = self.conn.execute("SELECT * FROM segments WHERE transcript_id=? AND idx BETWEEN ? AND ? ORDER BY idx",
                                 (seg.transcript_id, seg.index - n, seg.index + n)).fetchall()
        segs = [row_to_segment(r) for r in rows]
        return [s for s in segs if s.index < seg.index], [s for s in segs if s.index > seg.index]

    def filter_values(self, name: str) -> list[str]:
        """The values a filter (`SCOPE`) takes in this workspace, sorted, for menus and error messages."""
        if name not in SCOPE:
            raise ValueError(f"unknown segment filter {name!r}")
        source = "segments s JOIN transcripts t ON t.id = s.transcript_id" if name == "language" else "transcripts t"
        return sorted(r[0] for r in self.conn.execute(f"SELECT DISTINCT {SCOPE[name]} FROM {source}") if r[0])

"""A workspace: a folder with the project's SQLite database and its codebook."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from lccode import __version__
from lccode.errors import LccodeError
from lccode.records import Segment, Transcript
from lccode.workspace.db import connect, migrate

DB_NAME = "lccode.sqlite"
CODEBOOK_NAME = "codebook.yaml"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class AddResult:
    transcript_id: str
    status: str  # added | updated | unchanged
    n_segments: int
    source_path: str | None = None
    notes: tuple[str, ...] = ()  # what the reader noticed (a manifest speaker label never used, ...)
    languages: str | None = None  # e.g. 'nl', 'nl, en', 'other (hu)'; None when unchanged


class Workspace:
    def __init__(self, root: Path, conn: sqlite3.Connection):
        self.root = root
        self.conn = conn

    # -- lifecycle ---------------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | Path, codebook: str | Path | None = None, unit: str = "sentence",
               context: int = 2) -> "Workspace":
        from lccode.codebook import DEFAULT_CODEBOOK, load_codebook
        from lccode.segment import Segmenter

        Segmenter(unit=unit, context=context)  # validates the options before anything is written
        root = Path(root)
        if (root / DB_NAME).exists():
            raise LccodeError("a workspace already exists here", file=root,
                              fix="use it as it is, or choose another folder for a new workspace")
        cb = load_codebook(codebook or DEFAULT_CODEBOOK)
        root.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cb.path, root / CODEBOOK_NAME)
        ws = cls(root, connect(root / DB_NAME))
        migrate(ws.conn)
        with ws.transaction():
            for key, value in {"created_at": now(), "created_by": f"lccode {__version__}", "unit": unit,
                               "context": str(context), "codebook_ref": cb.ref}.items():
                ws.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))
        return ws

    @classmethod
    def open(cls, root: str | Path) -> "Workspace":
        root = Path(root)
        if not (root / DB_NAME).is_file():
            raise LccodeError("no lccode workspace here", file=root, expected=f"a folder with {DB_NAME}",
                              fix=f"create one with: lccode init {root}")
        ws = cls(root, connect(root / DB_NAME))
        migrate(ws.conn)
        ws.mark_interrupted_runs()
        return ws

    def close(self):
        self.conn.close()

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def codebook(self):
        from lccode.codebook import load_codebook

        return load_codebook(self.root / CODEBOOK_NAME)

    def segmenter(self):
        from lccode.segment import Segmenter

        return Segmenter(unit=self.meta("unit", "sentence"), context=0)

    @contextmanager
    def transaction(self):
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- transcripts and segments --------------------------------------------------------------------
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
        with self.transaction() as c:
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
            c.executemany("INSERT INTO segments VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                          [(s.key, s.transcript_id, s.index, s.start_char, s.end_char, s.text, s.speaker, s.role,
                            s.turn_index, s.lang, s.t_start, s.t_end) for s in segments])
        return AddResult(m.id, "added" if old is None else "updated", len(segments))

    def transcript_text(self, transcript_id: str) -> str:
        return self.conn.execute("SELECT text FROM transcripts WHERE id=?", (transcript_id,)).fetchone()[0]

    def transcripts(self) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM transcripts ORDER BY id").fetchall()

    def segments(self, where: str = "", params: tuple = ()) -> list[Segment]:
        rows = self.conn.execute(
            "SELECT s.* FROM segments s JOIN transcripts t ON t.id = s.transcript_id "
            f"{('WHERE ' + where) if where else ''} ORDER BY s.transcript_id, s.idx", params).fetchall()
        return [row_to_segment(r) for r in rows]

    def segment(self, key: str) -> Segment | None:
        row = self.conn.execute("SELECT * FROM segments WHERE key=?", (key,)).fetchone()
        return row_to_segment(row) if row else None

    @property
    def context(self) -> int:
        """Neighbouring segments shown around a segment in review pages and sheets (`lccode init --context`)."""
        return int(self.meta("context", "2"))

    def neighbours(self, seg: Segment, n: int | None = None) -> tuple[list[Segment], list[Segment]]:
        n = self.context if n is None else n
        rows = self.conn.execute("SELECT * FROM segments WHERE transcript_id=? AND idx BETWEEN ? AND ? ORDER BY idx",
                                 (seg.transcript_id, seg.index - n, seg.index + n)).fetchall()
        segs = [row_to_segment(r) for r in rows]
        return [s for s in segs if s.index < seg.index], [s for s in segs if s.index > seg.index]

    # -- runs ----------------------------------------------------------------------------------------
    # A run's owner (host and process id) is kept in `meta` under "run_owner:<id>" while it runs, so a run whose
    # process was killed (SIGKILL, power loss: no `finally` ran) is recognised as interrupted on the next open.
    def start_run(self, kind: str, model_id=None, model_hash=None, codebook_ref=None, params=None) -> int:
        import os
        import socket

        with self.transaction() as c:
            cur = c.execute("INSERT INTO runs(kind, started_at, lccode_version, model_id, model_hash, codebook_ref, params) "
                            "VALUES(?,?,?,?,?,?,?)", (kind, now(), __version__, model_id, model_hash, codebook_ref,
                                                      json.dumps(params or {})))
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)",
                      (f"run_owner:{cur.lastrowid}", json.dumps({"host": socket.gethostname(), "pid": os.getpid()})))
            return cur.lastrowid

    def finish_run(self, run_id: int, status: str = "done", params: dict | None = None):
        with self.transaction() as c:
            c.execute("UPDATE runs SET finished_at=?, status=? WHERE id=?", (now(), status, run_id))
            if params is not None:
                c.execute("UPDATE runs SET params=? WHERE id=?", (json.dumps(params), run_id))
            c.execute("DELETE FROM meta WHERE key=?", (f"run_owner:{run_id}",))

    def mark_interrupted_runs(self) -> list[int]:
        """Runs still 'running' whose process on this computer is gone become 'interrupted'; returns their ids.

        A run started on another computer (a workspace on a shared drive) is left alone: its process cannot be
        checked from here.
        """
        import socket

        from lccode.atomic import process_alive

        rows = self.conn.execute("SELECT r.id, m.value FROM runs r JOIN meta m ON m.key = 'run_owner:' || r.id "
                                 "WHERE r.status='running'").fetchall()
        dead = []
        for run_id, owner in rows:
            try:
                who = json.loads(owner)
                if who["host"] == socket.gethostname() and not process_alive(int(who["pid"])):
                    dead.append(run_id)
            except (ValueError, KeyError, TypeError):
                continue
        if dead:
            with self.transaction() as c:
                for run_id in dead:  # checked again inside the transaction: the run may just have finished
                    c.execute("UPDATE runs SET status='interrupted', finished_at=? WHERE id=? AND status='running'",
                              (now(), run_id))
                    c.execute("DELETE FROM meta WHERE key=?", (f"run_owner:{run_id}",))
        return dead

    def last_run(self, kind: str) -> sqlite3.Row | None:
        return self.conn.execute("SELECT * FROM runs WHERE kind=? AND status='done' ORDER BY id DESC LIMIT 1",
                                 (kind,)).fetchone()

    # -- status --------------------------------------------------------------------------------------
    def status(self) -> dict:
        q = self.conn.execute
        by = {}
        for col in ("community", "level", "language", "kind"):
            by[col] = {r[0] or "-": (r[1], r[2]) for r in q(
                f"SELECT t.{col}, COUNT(DISTINCT t.id), COUNT(s.key) FROM transcripts t "
                f"LEFT JOIN segments s ON s.transcript_id=t.id GROUP BY t.{col} ORDER BY t.{col}")}
        seg_lang = {r[0] or "-": r[1] for r in q("SELECT lang, COUNT(*) FROM segments GROUP BY lang")}
        n_seg = q("SELECT COUNT(*) FROM segments").fetchone()[0]
        coded = q("SELECT COUNT(DISTINCT p.segment_key) FROM predictions p JOIN segments s ON s.key=p.segment_key").fetchone()[0]
        reviewed = q("SELECT COUNT(DISTINCT d.segment_key) FROM decisions d JOIN segments s ON s.key=d.segment_key").fetchone()[0]
        orphans = q("SELECT COUNT(DISTINCT segment_key) FROM decisions WHERE segment_key NOT IN (SELECT key FROM segments)").fetchone()[0]
        return {"transcripts": q("SELECT COUNT(*) FROM transcripts").fetchone()[0], "segments": n_seg,
                "coded": coded, "reviewed": reviewed, "orphaned_decisions": orphans, "by": by, "segment_lang": seg_lang,
                "unit": self.meta("unit"), "codebook": self.meta("codebook_ref")}


def row_to_segment(r: sqlite3.Row) -> Segment:
    return Segment(r["transcript_id"], r["idx"], r["start_char"], r["end_char"], r["text"], r["speaker"], r["role"],
                   r["turn_index"], r["lang"], r["t_start"], r["t_end"], r["key"])

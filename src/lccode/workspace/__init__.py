"""A workspace: a folder with the project's SQLite database and its codebook.

`Workspace` is the only owner of the database: every statement lives in this package, one module per table
(transcripts.py, runs.py, predictions.py, decisions.py), and the rest of lccode reads and writes typed records
(workspace/records.py) through it. The decision rules (a human decision overrides the model) are in decisions.py.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from lccode import __version__
from lccode.errors import LccodeError
from lccode.workspace.db import connect, migrate, now
from lccode.workspace.decisions import DecisionStore
from lccode.workspace.predictions import PredictionStore
from lccode.workspace.records import Decision, Prediction, Run, StoredTranscript
from lccode.workspace.runs import RunStore
from lccode.workspace.transcripts import AddResult, TranscriptStore

DB_NAME = "lccode.sqlite"
CODEBOOK_NAME = "codebook.yaml"
__all__ = ["CODEBOOK_NAME", "DB_NAME", "AddResult", "Decision", "Prediction", "Run", "StoredTranscript", "Workspace",
           "now"]


class Workspace(TranscriptStore, RunStore, PredictionStore, DecisionStore):
    """An open workspace: its folder and one SQLite connection (one per thread: connections are not shared)."""

    def __init__(self, root: Path, conn: sqlite3.Connection):
        self.root = root
        self.conn = conn
        self._depth = 0  # transactions open on this connection (see `transaction`)

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
                ws.set_meta(key, value)
        return ws

    @classmethod
    def open(cls, root: str | Path) -> "Workspace":
        root = Path(root)
        if not (root / DB_NAME).is_file():
            raise LccodeError("no lccode workspace here", file=root, expected=f"a folder with {DB_NAME}",
                              fix=f"create one with: lccode init {root}")
        try:  # only the file itself: a migration that fails is lccode's bug, not the user's file
            conn = connect(root / DB_NAME)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as exc:  # not an SQLite file (damaged, truncated, overwritten), or locked
            if "locked" in str(exc):
                raise LccodeError(f"the workspace database is in use ({exc})", file=root / DB_NAME,
                                  fix="wait for the other lccode command on this workspace to finish, then run this "
                                      "one again") from None
            raise LccodeError(f"the workspace database cannot be opened ({exc})", file=root / DB_NAME,
                              expected=f"the {DB_NAME} that 'lccode init' made",
                              fix=f"restore {DB_NAME} from a backup, or create a new workspace with 'lccode init' "
                                  "and add the transcripts again") from None
        ws = cls(root, conn)
        migrate(ws.conn)
        ws.mark_interrupted_runs()
        return ws

    def reopen(self) -> "Workspace":
        """The same workspace on a connection of its own, for another thread (connections are not shared)."""
        return type(self)(self.root, connect(self.root / DB_NAME))

    def close(self):
        self.conn.close()

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, value))

    def codebook(self):
        from lccode.codebook import load_codebook

        return load_codebook(self.root / CODEBOOK_NAME)

    def segmenter(self):
        from lccode.segment import Segmenter

        return Segmenter(unit=self.meta("unit", "sentence"), context=0)

    @property
    def context(self) -> int:
        """Neighbouring segments shown around a segment in review pages and sheets (`lccode init --context`)."""
        return int(self.meta("context", "2"))

    @contextmanager
    def transaction(self):
        """All of the block's writes or none. Transactions nest: an inner one is a savepoint, so a failure inside
        it takes back only its own writes (if the outer block goes on), and a failure outside takes back all.

        The outermost is BEGIN IMMEDIATE: it takes the write lock at once, so two writers wait for each other
        (up to the connection's timeout) instead of one failing when it first writes.
        """
        depth = self._depth
        name = f"lccode_{depth}"
        self.conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield self
        except BaseException:
            self._depth = depth
            if self.conn.in_transaction:  # some errors (a full disk) have SQLite roll back everything itself
                if depth == 0:
                    self.conn.execute("ROLLBACK")
                else:
                    self.conn.execute(f"ROLLBACK TO {name}")
                    self.conn.execute(f"RELEASE {name}")
            raise
        self._depth = depth
        self.conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every table, sorted (see `db.dump`)."""
        from lccode.workspace.db import dump

        return dump(self.conn)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file (before copying the folder)."""
        from lccode.workspace.db import checkpoint

        checkpoint(self.conn)

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

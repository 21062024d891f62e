"""Runs: a record per `lccode code` run, and the one answer to "which coding run is current".

A run's owner (host and process id) is kept in `meta` under "run_owner:<id>" while it runs, so a run whose
process was killed (SIGKILL, power loss: no `finally` ran) is recognised as interrupted on the next open.
"""

from __future__ import annotations

import json
import sqlite3

from lccode.workspace.db import now
from lccode.workspace.records import Run


class RunStore:
    """The runs table (a part of `Workspace`)."""

    conn: sqlite3.Connection

    def start_run(self, kind: str, model_id=None, model_hash=None, codebook_ref=None, params=None) -> int:
        import os
        import socket

        from lccode import __version__

        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO runs(kind, started_at, lccode_version, model_id, model_hash, codebook_ref, params) "
                "VALUES(?,?,?,?,?,?,?)", (kind, now(), __version__, model_id, model_hash, codebook_ref,
                                          json.dumps(params or {})))
            self.set_meta(f"run_owner:{cur.lastrowid}", json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
            return cur.lastrowid

    def finish_run(self, run_id: int, status: str = "done", params: dict | None = None):
        with self.transaction():
            self.conn.execute("UPDATE runs SET finished_at=?, status=? WHERE id=?", (now(), status, run_id))
            if params is not None:
                self.conn.execute("UPDATE runs SET params=? WHERE id=?", (json.dumps(params), run_id))
            self.conn.execute("DELETE FROM meta WHERE key=?", (f"run_owner:{run_id}",))

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
            with self.transaction():
                for run_id in dead:  # checked again inside the transaction: the run may just have finished
                    self.conn.execute("UPDATE runs SET status='interrupted', finished_at=? WHERE id=? AND "
                                      "status='running'", (now(), run_id))
                    self.conn.execute("DELETE FROM meta WHERE key=?", (f"run_owner:{run_id}",))
        return dead

    def run(self, run_id: int) -> Run | None:
        row = self.conn.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return Run.from_row(row) if row else None

    def runs(self) -> list[Run]:
        return [Run.from_row(r) for r in self.conn.execute("SELECT * FROM runs ORDER BY id")]

    def code_run(self, model_id: str | None = None) -> Run | None:
        """The current coding run: the latest finished 'code' run (of this model, when one is named).

        Its model's predictions are the ones the queue, the figures and the exports read; an interrupted or
        running run is never current.
        """
        sql, params = "SELECT * FROM runs WHERE kind='code' AND status='done'", []
        if model_id is not None:
            sql += " AND model_id=?"
            params.append(model_id)
        row = self.conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        return Run.from_row(row) if row else None

    def coded_model_id(self, model_id: str | None = None) -> str | None:
        """`model_id` when a finished coding run of it exists, else the current model (None before anything was
        coded); a named model that never coded this workspace is refused, so no report is silently empty."""
        if model_id is None:
            return self.current_model_id()
        if self.code_run(model_id) is None:
            from lccode.errors import InputError

            known = sorted({r.model_id for r in self.runs() if r.kind == "code" and r.status == "done" and r.model_id})
            raise InputError(f"model '{model_id}' has not coded this workspace", file=self.root,
                             expected="the id of a model that coded it: " + (", ".join(known) or "none yet"),
                             fix="leave the model out to use the current one, or code the workspace with it first "
                                 "(lccode code)")
        return model_id

    def current_model_id(self) -> str | None:
        """The model behind the current coding run, None before anything was coded."""
        run = self.code_run()
        return run.model_id if run else None

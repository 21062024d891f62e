"""Predictions: a model's probabilities and codes per segment, one row per (segment, model).

A prediction refers to its segment by key, like a decision, so it applies again to an unchanged sentence of a
re-added transcript; coding again with the same model replaces the row.
"""

from __future__ import annotations

import json
import sqlite3

from lccode.records import Segment
from lccode.workspace.db import now
from lccode.workspace.records import Prediction
from lccode.workspace.transcripts import row_to_segment, scope_sql, where_sql

_PENDING = "s.key NOT IN (SELECT segment_key FROM predictions WHERE model_id=?)"


class PredictionStore:
    """The predictions table (a part of `Workspace`)."""

    conn: sqlite3.Connection

    def store_predictions(self, predictions: list[Prediction]) -> None:
        """Store (or replace) predictions in one transaction."""
        stamp = now()
        rows = [(p.segment_key, p.model_id, p.run_id, json.dumps(p.probs), json.dumps(list(p.codes)),
                 p.created_at or stamp) for p in predictions]
        with self.transaction():
            self.conn.executemany("INSERT OR REPLACE INTO predictions VALUES(?,?,?,?,?,?)", rows)

    def predictions(self, model_id: str) -> dict[str, Prediction]:
        """This model's predictions by segment key, also those of segments since edited away."""
        rows = self.conn.execute("SELECT * FROM predictions WHERE model_id=?", (model_id,))
        return {r["segment_key"]: Prediction.from_row(r) for r in rows}

    def prediction(self, segment_key: str, model_id: str) -> Prediction | None:
        row = self.conn.execute("SELECT * FROM predictions WHERE segment_key=? AND model_id=?",
                                (segment_key, model_id)).fetchone()
        return Prediction.from_row(row) if row else None

    def coded_segments(self, model_id: str, **filters: str | None) -> list[tuple[Segment, Prediction]]:
        """The segments this model coded, with its prediction, in transcript order; filters as `segments`."""
        where, params = scope_sql(filters)
        rows = self.conn.execute(
            "SELECT s.*, p.segment_key, p.model_id, p.run_id, p.probs, p.codes, p.created_at FROM predictions p "
            "JOIN segments s ON s.key = p.segment_key JOIN transcripts t ON t.id = s.transcript_id "
            f"{where_sql(['p.model_id = ?', *where])} ORDER BY s.transcript_id, s.idx",
            [model_id, *params]).fetchall()
        return [(row_to_segment(r), Prediction.from_row(r)) for r in rows]

    def pending_segments(self, model_id: str) -> list[Segment]:
        """Segments this model has not coded yet, in transcript order."""
        rows = self.conn.execute(f"SELECT s.* FROM segments s WHERE {_PENDING} ORDER BY s.transcript_id, s.idx",
                                 (model_id,)).fetchall()
        return [row_to_segment(r) for r in rows]

    def count_pending(self, model_id: str) -> int:
        return self.conn.execute(f"SELECT COUNT(*) FROM segments s WHERE {_PENDING}", (model_id,)).fetchone()[0]

    def community_counts(self, model_id: str | None) -> dict[str, tuple[int, int]]:
        """Per community (sorted): its segments, and how many of them this model coded."""
        out = {r[0]: (r[1], 0) for r in self.conn.execute(
            "SELECT t.community, COUNT(s.key) FROM transcripts t JOIN segments s ON s.transcript_id=t.id "
            "GROUP BY t.community ORDER BY t.community")}
        if model_id:
            for com, n in self.conn.execute(
                    "SELECT t.community, COUNT(*) FROM predictions p JOIN segments s ON s.key=p.segment_key "
                    "JOIN transcripts t ON t.id=s.transcript_id WHERE p.model_id=? GROUP BY t.community", (model_id,)):
                out[com] = (out[com][0], n)
        return out

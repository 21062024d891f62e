"""What the workspace stores, as typed rows: what its API takes and gives back instead of SQL rows and tuples.

JSON columns (probabilities, codes, roles, run parameters) are decoded here, once, so no caller parses them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StoredTranscript:
    """A transcript as stored, without its text (`Workspace.transcript_text` reads that: it can be large)."""

    id: str
    source_path: str
    format: str
    content_hash: str
    community: str
    level: str | None
    kind: str
    date: str | None
    language: str
    roles: tuple[tuple[str, str], ...]
    added_at: str
    updated_at: str

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "StoredTranscript":
        return cls(r["id"], r["source_path"], r["format"], r["content_hash"], r["community"], r["level"], r["kind"],
                   r["date"], r["language"], tuple(tuple(x) for x in json.loads(r["roles"])), r["added_at"],
                   r["updated_at"])


@dataclass(frozen=True)
class Run:
    """One `lccode code` (or other) run: which model, which codebook, with what parameters, and how it ended."""

    id: int
    kind: str
    started_at: str
    finished_at: str | None
    status: str  # running | done | interrupted
    lccode_version: str
    model_id: str | None
    model_hash: str | None
    codebook_ref: str | None
    params: dict = field(default_factory=dict)

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "Run":
        return cls(r["id"], r["kind"], r["started_at"], r["finished_at"], r["status"], r["lccode_version"],
                   r["model_id"], r["model_hash"], r["codebook_ref"], json.loads(r["params"] or "{}"))


@dataclass(frozen=True)
class Prediction:
    """A model's coding of one segment: a probability per code and the codes over their thresholds."""

    segment_key: str
    model_id: str
    run_id: int | None
    probs: dict[str, float]
    codes: tuple[str, ...]
    created_at: str | None = None  # None: stamped when stored

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "Prediction":
        return cls(r["segment_key"], r["model_id"], r["run_id"], json.loads(r["probs"]), tuple(json.loads(r["codes"])),
                   r["created_at"])


@dataclass(frozen=True)
class Decision:
    """One analyst's decision on one segment. Decisions are never overwritten: a new one is a new row.

    The segment's text is kept with the decision, so it outlives an edit of its transcript; lang and role (of the
    segment) and community and level (of the transcript) are None once those are no longer in the workspace.
    """

    id: int
    segment_key: str
    transcript_id: str
    segment_text: str
    analyst: str
    status: str  # coded | unsure
    codes: tuple[str, ...]
    proposal: dict | None
    model_id: str | None
    source: str  # web | sheet | refi
    created_at: str
    lang: str | None = None
    role: str | None = None
    community: str | None = None
    level: str | None = None

    @classmethod
    def from_row(cls, r: sqlite3.Row) -> "Decision":
        return cls(r["id"], r["segment_key"], r["transcript_id"], r["segment_text"], r["analyst"], r["status"],
                   tuple(json.loads(r["codes"])), json.loads(r["proposal"]) if r["proposal"] is not None else None,
                   r["model_id"], r["source"], r["created_at"], r["lang"], r["role"], r["community"], r["level"])

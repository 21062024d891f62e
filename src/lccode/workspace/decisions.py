"""Analysts' decisions, and the rule everything downstream follows: a human decision overrides the model.

Every decision is a new row, never overwritten. Each analyst's latest decision on a segment is theirs; a
segment's final codes come from those: where analysts disagree, the most recent 'coded' decision stands and the
segment is flagged as a disagreement (all rows are kept). An 'unsure' decision leaves the model's proposal
standing. The figures, the exports and the training data all take a segment's codes from `effective_codes` or
`final_decisions`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from lccode.errors import InputError
from lccode.records import Segment
from lccode.workspace.db import now
from lccode.workspace.records import Decision
from lccode.workspace.transcripts import where_sql

STATUSES = ("coded", "unsure")
# Each analyst's latest decision per segment: the one definition every reader of decisions uses.
_LATEST = "d.id IN (SELECT MAX(id) FROM decisions GROUP BY segment_key, analyst)"
_SELECT = ("SELECT d.*, s.lang, s.role, t.community, t.level FROM decisions d "
           "LEFT JOIN segments s ON s.key = d.segment_key LEFT JOIN transcripts t ON t.id = d.transcript_id")


class DecisionStore:
    """The decisions table (a part of `Workspace`); `record_decision` is the checked way in."""

    conn: sqlite3.Connection

    def add_decision(self, seg: Segment, analyst: str, status: str, codes: Iterable[str], source: str,
                     proposal: dict | None = None, model_id: str | None = None, created_at: str | None = None) -> int:
        """Store one decision as given, in the caller's transaction (or its own); returns its id.
        Checking it is the caller's job (see `record_decision`)."""
        with self.transaction():
            return self.conn.execute(
                "INSERT INTO decisions(segment_key, transcript_id, segment_text, analyst, status, codes, proposal, "
                "model_id, source, created_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
                (seg.key, seg.transcript_id, seg.text, analyst, status, json.dumps(sorted(set(codes))),
                 json.dumps(proposal) if proposal is not None else None, model_id, source,
                 created_at or now())).lastrowid

    def decisions(self, *, latest: bool = False, analyst: str | None = None,
                  segment_key: str | None = None) -> list[Decision]:
        """Decisions in the order they were made: all of them, or (latest) each analyst's latest per segment;
        of one analyst, of one segment."""
        where, params = [_LATEST] if latest else [], []
        for column, value in (("d.analyst", analyst), ("d.segment_key", segment_key)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        return [Decision.from_row(r) for r in self.conn.execute(f"{_SELECT}{where_sql(where)} ORDER BY d.id", params)]

    def decided_keys(self, analyst: str) -> list[str]:
        """The segments this analyst decided (an 'unsure' counts), most recently decided first."""
        return [r[0] for r in self.conn.execute(f"SELECT d.segment_key FROM decisions d WHERE {_LATEST} AND "
                                                "d.analyst = ? ORDER BY d.id DESC", (analyst,))]


@dataclass(frozen=True)
class FinalDecision:
    segment_key: str
    transcript_id: str
    text: str
    codes: tuple[str, ...]
    status: str
    analysts: tuple[str, ...]
    disagreement: bool
    decision_ids: tuple[int, ...]
    decided_at: str
    lang: str | None = None
    community: str | None = None
    level: str | None = None
    role: str | None = None


@dataclass(frozen=True)
class EffectiveCoding:
    """A segment's codes as everything downstream counts them: an analyst's where there is one, else the model's."""

    codes: tuple[str, ...]
    source: str  # 'model' or 'analyst'
    probs: dict | None = None  # the model's, when it coded the segment
    analysts: tuple[str, ...] = ()
    disagreement: bool = False


def final_decisions(ws, analyst: str | None = None) -> list[FinalDecision]:
    """One final decision per decided segment (from one analyst's decisions only, when named)."""
    by_seg: dict[str, list[Decision]] = defaultdict(list)
    for d in ws.decisions(latest=True, analyst=analyst or None):
        by_seg[d.segment_key].append(d)
    out = []
    for key, rows in by_seg.items():
        last = rows[-1]
        coded = [r for r in rows if r.status == "coded"]
        source = coded[-1] if coded else last
        out.append(FinalDecision(
            key, last.transcript_id, last.segment_text, source.codes, "coded" if coded else last.status,
            tuple(r.analyst for r in rows), len({r.codes for r in coded}) > 1, tuple(r.id for r in rows),
            last.created_at, last.lang, last.community, last.level, last.role))
    return out


def effective_codes(ws, model_id: str | None = None) -> dict[str, EffectiveCoding]:
    """Per segment (also segments since edited away): its final codes, from an analyst or the model (the current
    coding run's, unless another is named), with the model's probabilities where it coded the segment."""
    model_id = model_id or ws.current_model_id()
    out: dict[str, EffectiveCoding] = {}
    if model_id:
        for key, p in ws.predictions(model_id).items():
            out[key] = EffectiveCoding(p.codes, "model", p.probs)
    for d in final_decisions(ws):
        if d.status != "coded":
            continue
        probs = out[d.segment_key].probs if d.segment_key in out else None
        out[d.segment_key] = EffectiveCoding(d.codes, "analyst", probs, d.analysts, d.disagreement)
    return out


def record_decision(ws, segment_key: str, analyst: str, codes: list[str], status: str = "coded",
                    source: str = "web", proposal: dict | None = None, model_id: str | None = None) -> int:
    """Check and store one decision in its own transaction; returns its id."""
    analyst = (analyst or "").strip()
    if not analyst:
        raise InputError("no analyst name", field="analyst", expected="the analyst's name or initials",
                         fix="say who you are, so decisions can be compared between analysts")
    if status not in STATUSES:
        raise InputError(f"unknown decision status '{status}'", field="status", expected=" | ".join(STATUSES))
    known = set(ws.codebook().code_ids)
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError(f"unknown code(s) {unknown}", field="codes", expected="code ids from the workspace's codebook",
                         fix="check the spelling against 'lccode codebook show'")
    seg = ws.segment(segment_key)
    if seg is None:
        raise InputError(f"no segment with id '{segment_key}' in this workspace", field="segment",
                         fix="use the segment ids from 'lccode review export' of this workspace")
    return ws.add_decision(seg, analyst, status, codes, source, proposal, model_id)


def record_decisions(ws, items: list[dict], source: str) -> list[int]:
    """Store several decisions in one transaction, all or none (a spreadsheet import).

    Each item has segment_key, analyst, codes and optionally status, proposal, model_id. The caller checks
    first so it can report every problem with its row; this checks again and refuses the whole batch on any error.
    """
    known = set(ws.codebook().code_ids)
    rows = []
    for it in items:
        seg = ws.segment(it["segment_key"])
        status = it.get("status", "coded")
        if (seg is None or not (it.get("analyst") or "").strip() or status not in STATUSES
                or any(c not in known for c in it["codes"])):
            raise InputError(f"invalid decision for segment '{it['segment_key']}'; nothing was stored",
                             fix="validate the decisions before storing them")
        rows.append((seg, it["analyst"].strip(), status, it["codes"], it.get("proposal"), it.get("model_id")))
    stamp = now()
    with ws.transaction():
        return [ws.add_decision(seg, analyst, status, codes, source, proposal, model_id, stamp)
                for seg, analyst, status, codes, proposal, model_id in rows]

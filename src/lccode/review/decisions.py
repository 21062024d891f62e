"""Analysts' decisions: stored at once, never overwritten, combined into one final coding per segment.

Every decision is a new row. A segment's final codes come from each analyst's latest decision; where analysts
disagree, the most recent decision stands and the segment is flagged as a disagreement (all rows are kept).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from lccode.errors import InputError

STATUSES = ("coded", "unsure")


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


def record_decision(ws, segment_key: str, analyst: str, codes: list[str], status: str = "coded",
                    source: str = "web", proposal: dict | None = None, model_id: str | None = None) -> int:
    """Validate and store one decision in its own transaction; returns its id."""
    from lccode.workspace import now

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
    with ws.transaction() as c:
        return insert_decisions(c, [(seg, analyst, status, codes, proposal, model_id)], source, now())[0]


def insert_decisions(conn, rows: list[tuple], source: str, stamp: str) -> list[int]:
    """The one place decisions are written: rows of (segment, analyst, status, codes, proposal, model_id),
    inside the caller's transaction; validation is the caller's job."""
    ids = []
    for seg, analyst, status, codes, proposal, model_id in rows:
        ids.append(conn.execute(
            "INSERT INTO decisions(segment_key, transcript_id, segment_text, analyst, status, codes, proposal, model_id, "
            "source, created_at) VALUES(?,?,?,?,?,?,?,?,?,?)",
            (seg.key, seg.transcript_id, seg.text, analyst, status, json.dumps(sorted(set(codes))),
             json.dumps(proposal) if proposal is not None else None, model_id, source, stamp)).lastrowid)
    return ids


def _latest_rows(ws, analyst: str | None = None):
    sql = ("SELECT d.*, s.lang, t.community, t.level, s.role FROM decisions d "
           "LEFT JOIN segments s ON s.key = d.segment_key LEFT JOIN transcripts t ON t.id = d.transcript_id "
           "WHERE d.id IN (SELECT MAX(id) FROM decisions GROUP BY segment_key, analyst)")
    params: tuple = ()
    if analyst:
        sql += " AND d.analyst = ?"
        params = (analyst,)
    return ws.conn.execute(sql + " ORDER BY d.id", params).fetchall()


def final_decisions(ws, analyst: str | None = None) -> list[FinalDecision]:
    by_seg = defaultdict(list)
    for r in _latest_rows(ws, analyst):
        by_seg[r["segment_key"]].append(r)
    out = []
    for key, rows in by_seg.items():
        last = rows[-1]
        coded = [r for r in rows if r["status"] == "coded"]
        disagreement = len({r["codes"] for r in coded}) > 1
        source = coded[-1] if coded else last
        out.append(FinalDecision(
            key, last["transcript_id"], last["segment_text"], tuple(json.loads(source["codes"])),
            "coded" if coded else last["status"], tuple(r["analyst"] for r in rows), disagreement,
            tuple(r["id"] for r in rows), last["created_at"], last["lang"], last["community"], last["level"], last["role"]))
    return out


def current_model_id(ws) -> str | None:
    row = ws.last_run("code")
    return row["model_id"] if row else None


def effective_codes(ws, model_id: str | None = None) -> dict[str, dict]:
    """Per segment: final codes, where they came from (analyst or model), probabilities when the model coded it.

    Human decisions override model proposals everywhere; 'unsure' decisions leave the model's proposal standing.
    """
    model_id = model_id or current_model_id(ws)
    out: dict[str, dict] = {}
    if model_id:
        for r in ws.conn.execute("SELECT segment_key, probs, codes FROM predictions WHERE model_id=?", (model_id,)):
            out[r[0]] = {"codes": tuple(json.loads(r[2])), "source": "model", "probs": json.loads(r[1])}
    for d in final_decisions(ws):
        if d.status != "coded":
            continue
        probs = out.get(d.segment_key, {}).get("probs")
        out[d.segment_key] = {"codes": d.codes, "source": "analyst", "probs": probs, "analysts": d.analysts,
                              "disagreement": d.disagreement}
    return out


def record_decisions(ws, items: list[dict], source: str) -> list[int]:
    """Store several decisions in one transaction, all or none (a spreadsheet import).

    Each item has segment_key, analyst, codes and optionally status, proposal, model_id. The caller validates
    first so it can report every problem with its row; this re-checks and refuses the whole batch on any error.
    """
    from lccode.workspace import now

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
    with ws.transaction() as c:
        return insert_decisions(c, rows, source, now())

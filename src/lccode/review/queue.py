"""The review queue: the segments where the model most probably erred first (rule in `lccode.uncertainty`).

The queue reads the predictions of the model behind the latest `lccode code` run, with that run's per-code
thresholds. Filtering by code ranks by the chance that that code's decision is wrong and keeps the segments that are about the code:
the model proposes it, or it is the code most likely wrong in the segment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from lccode.errors import InputError

FILTERS = ("community", "transcript", "code", "language", "level")


@dataclass(frozen=True)
class CodeRun:
    """The coding run a queue is built from: which model, with which thresholds."""

    run_id: int
    model_id: str
    model_hash: str | None
    model_name: str | None
    codebook_ref: str | None
    thresholds: dict[str, float]


@dataclass(frozen=True)
class QueueItem:
    key: str
    transcript_id: str
    index: int
    text: str
    speaker: str | None
    role: str | None
    lang: str | None
    community: str
    level: str | None
    t_start: float | None
    score: float  # the chance that at least one of the model's code decisions is wrong (lccode.uncertainty)
    focus_code: str  # the code whose decision is most likely wrong
    probs: dict[str, float]
    proposed: tuple[str, ...]
    decided_by: tuple[str, ...] = ()


@dataclass
class Queue:
    run: CodeRun
    items: list[QueueItem]  # still to review, most probably wrong first
    total: int  # segments in scope (coded by the model, matching the filters)
    decided: int  # of those, decided by this analyst
    filters: dict[str, str] = field(default_factory=dict)


def latest_code_run(ws) -> CodeRun:
    row = ws.last_run("code")
    if row is None or not row["model_id"]:
        raise InputError("no model has coded this workspace yet, so there is nothing to review",
                         file=ws.root, fix=f"run: lccode code -w {ws.root}")
    params = json.loads(row["params"] or "{}")
    thresholds = {c: float(t) for c, t in (params.get("thresholds") or {}).items()}
    if not thresholds:
        raise InputError(f"the latest coding run (#{row['id']}) recorded no thresholds", file=ws.root,
                         expected="a run made by 'lccode code'", fix=f"code the workspace again: lccode code -w {ws.root}")
    return CodeRun(row["id"], row["model_id"], row["model_hash"], params.get("model_name"), row["codebook_ref"],
                   thresholds)


def clean_filters(ws, filters: dict | None) -> dict[str, str]:
    """Drop empty filters; an unknown value is an error that lists the known ones."""
    out = {k: str(v).strip() for k, v in (filters or {}).items() if v not in (None, "") and str(v).strip()}
    for name in out:
        if name not in FILTERS:
            raise InputError(f"unknown filter '{name}'", expected=" | ".join(FILTERS))
    for name, value in out.items():
        known = filter_values(ws, name)
        if value not in known:
            raise InputError(f"no {name} '{value}' in this workspace", field=f"--{name}",
                             expected="one of: " + ", ".join(known[:40]) + (" ..." if len(known) > 40 else ""),
                             fix=f"check the spelling, or see 'lccode status -w {ws.root}'")
    return out


def filter_values(ws, name: str) -> list[str]:
    """The values a filter can take in this workspace (for error messages and the web page's menus)."""
    q = {"community": "SELECT DISTINCT community FROM transcripts",
         "transcript": "SELECT id FROM transcripts",
         "level": "SELECT DISTINCT level FROM transcripts WHERE level IS NOT NULL",
         "language": "SELECT DISTINCT COALESCE(s.lang, t.language) FROM segments s JOIN transcripts t "
                     "ON t.id = s.transcript_id"}
    if name == "code":
        return ws.codebook().code_ids
    return sorted(r[0] for r in ws.conn.execute(q[name]) if r[0])


def decided_keys(ws, analyst: str | None) -> set[str]:
    """Segments this analyst has decided (an 'unsure' counts: they chose to skip it)."""
    if not analyst:
        return set()
    return {r[0] for r in ws.conn.execute("SELECT DISTINCT segment_key FROM decisions WHERE analyst=?", (analyst.strip(),))}


def deciders(ws) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for key, analyst in ws.conn.execute("SELECT DISTINCT segment_key, analyst FROM decisions ORDER BY analyst"):
        out.setdefault(key, []).append(analyst)
    return {k: tuple(v) for k, v in out.items()}


def rank(ws, run: CodeRun, filters: dict[str, str]) -> list[QueueItem]:
    """Every segment in scope, most probably wrong first (ties in transcript order, near-copies spread out).
    Filters must be clean."""
    import numpy as np

    from lccode.uncertainty import error_probabilities, review_priority, spread

    codes = [c for c in ws.codebook().code_ids if c in run.thresholds]
    where, params = ["p.model_id = ?"], [run.model_id]
    for name, col in (("community", "t.community"), ("transcript", "t.id"), ("level", "t.level"),
                      ("language", "COALESCE(s.lang, t.language)")):
        if name in filters:
            where.append(f"{col} = ?")
            params.append(filters[name])
    rows = ws.conn.execute(
        "SELECT s.key, s.transcript_id, s.idx, s.text, s.speaker, s.role, COALESCE(s.lang, t.language) AS lang, "
        "t.community, t.level, s.t_start, p.probs, p.codes FROM predictions p JOIN segments s ON s.key = p.segment_key "
        f"JOIN transcripts t ON t.id = s.transcript_id WHERE {' AND '.join(where)} ORDER BY s.transcript_id, s.idx",
        params).fetchall()
    if not rows or not codes:
        return []
    probs = [json.loads(r["probs"]) for r in rows]
    matrix = np.array([[p.get(c, 0.0) for c in codes] for p in probs], dtype=np.float64)
    th = np.array([run.thresholds[c] for c in codes], dtype=np.float64)
    perr = error_probabilities(matrix, th)
    focus = perr.argmax(axis=1)
    score = review_priority(matrix, th)
    keep = np.ones(len(rows), dtype=bool)
    if "code" in filters:
        j = codes.index(filters["code"]) if filters["code"] in codes else None
        if j is None:
            return []
        keep = (matrix[:, j] >= run.thresholds[codes[j]]) | (focus == j)
        score, focus = perr[:, j], np.full(len(rows), j)
    who = deciders(ws)
    out = []
    for i in spread(np.argsort(-score, kind="stable"), [r["text"] for r in rows]):
        if not keep[i]:
            continue
        r = rows[i]
        out.append(QueueItem(r["key"], r["transcript_id"], r["idx"], r["text"], r["speaker"], r["role"], r["lang"],
                             r["community"], r["level"], r["t_start"], float(score[i]), codes[focus[i]],
                             {c: float(probs[i].get(c, 0.0)) for c in codes},
                             tuple(c for c in json.loads(r["codes"]) if c in run.thresholds), who.get(r["key"], ())))
    return out


def build_queue(ranked: list[QueueItem], run: CodeRun, decided: set[str], include_decided: bool = False,
                limit: int | None = None, filters: dict | None = None) -> Queue:
    todo = [it for it in ranked if include_decided or it.key not in decided]
    done = sum(1 for it in ranked if it.key in decided)
    return Queue(run, todo[:limit] if limit else todo, len(ranked), done, dict(filters or {}))


def without_others(ranked: list[QueueItem], ws, mine: set[str]) -> list[QueueItem]:
    """Drop segments another analyst has already decided (to split work instead of double-reviewing)."""
    others = set(deciders(ws)) - mine
    return [it for it in ranked if it.key not in others]


def review_queue(ws, analyst: str | None = None, *, filters: dict | None = None, include_decided: bool = False,
                 skip_others: bool = False, limit: int | None = None) -> Queue:
    """The queue for one analyst: segments they have not decided yet, most probably wrong first.

    Segments other analysts decided stay in (a second opinion feeds the agreement figures) unless skip_others.
    """
    run = latest_code_run(ws)
    clean = clean_filters(ws, filters)
    mine = decided_keys(ws, analyst)
    ranked = rank(ws, run, clean)
    if skip_others:
        ranked = without_others(ranked, ws, mine)
    return build_queue(ranked, run, mine, include_decided, limit, clean)

"""The review queue: the segments where the model most probably erred first (rule in `lccode.model.uncertainty`).

The queue reads the predictions of the model behind the latest `lccode code` run, with that run's per-code
thresholds. Filtering by code ranks by the chance that that code's decision is wrong and keeps the segments that are about the code:
the model proposes it, or it is the code most likely wrong in the segment.
"""

from __future__ import annotations

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
    model_dir: str | None = None  # where the model was when it coded, if it was a folder
    review_model: dict | None = None  # the model's error model for transcript segments (lccode.model.error_model)


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
    score: float  # the chance that the model got a code of this segment wrong (lccode.model.uncertainty.priority)
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
    """The workspace's current coding run (`Workspace.code_run`), checked to be one a queue can be built from."""
    run = ws.code_run()
    if run is None or not run.model_id:
        raise InputError("no model has coded this workspace yet, so there is nothing to review",
                         file=ws.root, fix=f"run: lccode code -w {ws.root}")
    thresholds = {c: float(t) for c, t in (run.params.get("thresholds") or {}).items()}
    if not thresholds:
        raise InputError(f"the latest coding run (#{run.id}) recorded no thresholds", file=ws.root,
                         expected="a run made by 'lccode code'", fix=f"code the workspace again: lccode code -w {ws.root}")
    return CodeRun(run.id, run.model_id, run.model_hash, run.params.get("model_name"), run.codebook_ref, thresholds,
                   run.params.get("model_dir"), run.params.get("review_model"))


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
    if name == "code":
        return ws.codebook().code_ids
    return ws.filter_values(name)


def decided_keys(ws, analyst: str | None) -> set[str]:
    """Segments this analyst has decided (an 'unsure' counts: they chose to skip it)."""
    if not analyst:
        return set()
    return set(ws.decided_keys(analyst.strip()))


def deciders(ws) -> dict[str, tuple[str, ...]]:
    """Who decided each segment, in the order of their names."""
    out: dict[str, list[str]] = {}
    for d in sorted(ws.decisions(latest=True), key=lambda d: d.analyst):
        out.setdefault(d.segment_key, []).append(d.analyst)
    return {k: tuple(v) for k, v in out.items()}


def rank(ws, run: CodeRun, filters: dict[str, str]) -> list[QueueItem]:
    """Every segment in scope, most probably wrong first (ties in transcript order, near-copies spread out).
    Filters must be clean."""
    import numpy as np

    from lccode.model.coding import positions_of
    from lccode.model.error_model import ErrorModel
    from lccode.model.uncertainty import error_probabilities, priority, spread

    codes = [c for c in ws.codebook().code_ids if c in run.thresholds]
    rows = ws.coded_segments(run.model_id, **{k: v for k, v in filters.items() if k != "code"})
    if not rows or not codes:
        return []
    transcripts = {t.id: t for t in ws.transcripts()}
    probs = [p.probs for _, p in rows]
    matrix = np.array([[p.get(c, 0.0) for c in codes] for p in probs], dtype=np.float64)
    th = np.array([run.thresholds[c] for c in codes], dtype=np.float64)
    perr = error_probabilities(matrix, th)
    focus = perr.argmax(axis=1)
    positions = positions_of([s for s, _ in rows], {t.id: t.kind for t in transcripts.values()})
    score = priority(matrix, th, positions, ErrorModel.from_dict(run.review_model))
    keep = np.ones(len(rows), dtype=bool)
    if "code" in filters:
        j = codes.index(filters["code"]) if filters["code"] in codes else None
        if j is None:
            return []
        keep = (matrix[:, j] >= run.thresholds[codes[j]]) | (focus == j)
        score, focus = perr[:, j], np.full(len(rows), j)
    who = deciders(ws)
    out = []
    for i in spread(np.argsort(-score, kind="stable"), [s.text for s, _ in rows]):
        if not keep[i]:
            continue
        s, p = rows[i]
        t = transcripts[s.transcript_id]
        lang = s.lang if s.lang is not None else t.language
        out.append(QueueItem(s.key, s.transcript_id, s.index, s.text, s.speaker, s.role, lang,
                             t.community, t.level, s.t_start, float(score[i]), codes[focus[i]],
                             {c: float(probs[i].get(c, 0.0)) for c in codes},
                             tuple(c for c in p.codes if c in run.thresholds), who.get(s.key, ())))
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

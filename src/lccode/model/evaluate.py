"""`lccode evaluate`: a trained model against gold-coded segments or whole coded transcripts, with agreement
figures per code, per language and per speaker turn, the codes not yet reliable enough to count on, and the
error-capture curve that shows whether reviewing the most uncertain segments first finds the model's errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lccode import __version__

RELIABLE_KAPPA = 0.6  # below this, a code's counts should not be reported without review (Landis & Koch: moderate)


def evaluate(gold: str | Path, model_dir: str | Path, device: str = "auto", batch_size: int = 64) -> dict:
    from lccode.data import load_jsonl
    from lccode.gold import check_source, gold_examples, is_gold_transcripts, load_gold
    from lccode.model.predict import Coder

    check_source(gold)  # before the model is loaded, which takes a while
    coder = Coder.load(model_dir, None, device)
    labels = coder.labels
    transcripts = is_gold_transcripts(gold)
    examples = gold_examples(load_gold(gold, labels)) if transcripts else load_jsonl(gold, labels)
    probs = coder.probabilities([e.text for e in examples], batch_size, None, [e.position for e in examples])
    report = score(examples, probs, coder.decide(probs), coder.thresholds, labels, coder.meta.get("review_model"))
    report["provenance"] = _provenance(coder, examples, gold_file=str(gold),
                                       gold_kind="transcripts" if transcripts else "segments")
    return report


def evaluate_workspace(workspace: str | Path, model_dir: str | Path, complete: bool = False, device: str = "auto",
                       batch_size: int = 64) -> dict:
    """A model against the human decisions in a workspace (review, spreadsheet or a coded REFI-QDA project).

    Gold are the segments with a final human decision ("coded", possibly with no codes). With `complete`, a
    transcript that has any decision counts as read in full: its undecided segments are gold "no code" (how a
    project coded in ATLAS.ti/NVivo/MAXQDA/QualCoder is meant). Turn figures use fully decided turns only."""
    from lccode.data import Example
    from lccode.errors import InputError
    from lccode.model.coding import positions_of
    from lccode.model.predict import Coder
    from lccode.workspace import Workspace
    from lccode.workspace.decisions import final_decisions

    ws = Workspace.open(workspace)
    coder = Coder.load(model_dir, ws.codebook(), device)
    final = {d.segment_key: d for d in final_decisions(ws) if d.status == "coded"}
    if not final:
        raise InputError("no human decisions in this workspace", file=workspace,
                         expected="segments reviewed by an analyst or imported from a coded project",
                         fix="review segments (lccode review serve) or import a coded project (lccode import refi)")
    docs = sorted({d.transcript_id for d in final.values()})
    segs = ws.segments(transcripts=docs)
    kinds = {t.id: t.kind for t in ws.transcripts()}
    probs = coder.probabilities([s.text for s in segs], batch_size, None, positions_of(segs, kinds))
    decided_turns: dict[tuple, bool] = {}
    for s in segs:
        k = (s.transcript_id, s.turn_index)
        decided_turns[k] = decided_turns.get(k, True) and (complete or s.key in final)
    rows, examples = [], []
    for i, s in enumerate(segs):
        if s.key not in final and not complete:
            continue
        codes = final[s.key].codes if s.key in final else ()
        whole = decided_turns[(s.transcript_id, s.turn_index)] and s.turn_index is not None
        examples.append(Example(s.text, tuple(codes), s.lang, s.key, None, None, s.role,
                                s.transcript_id if whole else None, s.turn_index if whole else None, kinds.get(s.transcript_id)))
        rows.append(i)
    report = score(examples, probs[rows], coder.decide(probs[rows]), coder.thresholds, coder.labels,
                   coder.meta.get("review_model"))
    report["provenance"] = _provenance(coder, examples, gold_workspace=str(workspace),
                                       gold_kind="workspace decisions" + (" (complete transcripts)" if complete else ""))
    return report


def _provenance(coder, examples, **gold) -> dict:
    """What produced an evaluation: lccode, the model and codebook (ids and hashes), the gold and its hash."""
    from lccode.clock import utc_now
    from lccode.data import data_hash

    return {"lccode_version": __version__, "model_id": coder.meta["model_id"], "model_sha256": coder.meta["weights_sha256"],
            "codebook_ref": coder.meta["codebook_ref"], "codebook_hash": coder.meta["codebook_hash"], **gold,
            "gold_hash": data_hash(examples), "device": coder.placement.describe(),
            "evaluated_at": utc_now()}


def score(examples, probs: np.ndarray, pred: np.ndarray, thresholds: np.ndarray, labels: list[str],
          review_model: dict | None = None) -> dict:
    """Segment-level figures; for transcript examples also per speaker turn (a turn carries the union of its
    segments' codes). `unreliable` lists codes whose kappa is below RELIABLE_KAPPA at the coarsest level given.
    `error_capture` is measured for the review order the queue uses (with the model's error model, if any)."""
    from lccode.data import label_matrix
    from lccode.model.error_model import ErrorModel
    from lccode.model.metrics import multilabel_report, turn_level
    from lccode.model.uncertainty import error_capture, priority

    y = label_matrix(examples, labels)
    report = _with_languages(multilabel_report(y, pred, labels), [e.lang for e in examples], y, pred, labels)
    rows = [i for i, e in enumerate(examples) if e.doc is not None]
    if rows:
        yt, pt, langs = turn_level([examples[i] for i in rows], y[rows], pred[rows])
        report["turns"] = _with_languages(multilabel_report(yt, pt, labels), langs, yt, pt, labels)
        report["transcripts"] = len({examples[i].doc for i in rows})
    basis = report.get("turns", report)
    report["unreliable"] = sorted(c for c, m in basis["per_code"].items()
                                  if m["support"] and not (m["kappa"] >= RELIABLE_KAPPA))
    report["reliable_kappa"] = RELIABLE_KAPPA
    errors = (pred != y).any(axis=1)
    order = priority(probs, thresholds, [e.position for e in examples], ErrorModel.from_dict(review_model))
    report["error_capture"] = error_capture(errors, -order)
    return report


def _with_languages(report: dict, langs: list, y, pred, labels) -> dict:
    from lccode.model.metrics import multilabel_report

    report["per_language"] = {}
    for lang in sorted({l for l in langs if l}):
        rows = [i for i, l in enumerate(langs) if l == lang]
        rep = multilabel_report(y[rows], pred[rows], labels)
        rep.pop("per_code")
        report["per_language"][lang] = rep
    return report

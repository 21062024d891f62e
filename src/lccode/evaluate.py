"""`lccode evaluate`: a trained model against gold-coded segments or whole coded transcripts, with agreement
figures per code, per language and per speaker turn, the codes not yet reliable enough to count on, and the
error-capture curve that shows whether reviewing the most uncertain segments first finds the model's errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from lccode import __version__

RELIABLE_KAPPA = 0.6  # below this, a code's counts should not be reported without review (Landis & Koch: moderate)


def evaluate(gold: str | Path, model_dir: str | Path, device: str = "auto", batch_size: int = 64) -> dict:
    from lccode.data import data_hash, load_jsonl
    from lccode.gold import gold_examples, is_gold_transcripts, load_gold
    from lccode.predict import Coder

    coder = Coder.load(model_dir, None, device)
    labels = coder.labels
    transcripts = is_gold_transcripts(gold)
    examples = gold_examples(load_gold(gold, labels)) if transcripts else load_jsonl(gold, labels)
    probs = coder.probabilities([e.text for e in examples], batch_size, None, [e.position for e in examples])
    report = score(examples, probs, coder.decide(probs), coder.thresholds, labels)
    report["provenance"] = {
        "lccode_version": __version__, "model_id": coder.meta["model_id"], "model_sha256": coder.meta["weights_sha256"],
        "codebook_ref": coder.meta["codebook_ref"], "codebook_hash": coder.meta["codebook_hash"],
        "gold_file": str(gold), "gold_kind": "transcripts" if transcripts else "segments",
        "gold_hash": data_hash(examples), "device": coder.placement.describe(),
        "evaluated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return report


def score(examples, probs: np.ndarray, pred: np.ndarray, thresholds: np.ndarray, labels: list[str]) -> dict:
    """Segment-level figures; for transcript examples also per speaker turn (a turn carries the union of its
    segments' codes). `unreliable` lists codes whose kappa is below RELIABLE_KAPPA at the coarsest level given."""
    from lccode.data import label_matrix
    from lccode.metrics import multilabel_report, turn_level
    from lccode.uncertainty import error_capture, uncertainty_scores

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
    report["error_capture"] = error_capture(errors, uncertainty_scores(probs, thresholds))
    return report


def _with_languages(report: dict, langs: list, y, pred, labels) -> dict:
    from lccode.metrics import multilabel_report

    report["per_language"] = {}
    for lang in sorted({l for l in langs if l}):
        rows = [i for i, l in enumerate(langs) if l == lang]
        rep = multilabel_report(y[rows], pred[rows], labels)
        rep.pop("per_code")
        report["per_language"][lang] = rep
    return report

"""`lccode evaluate`: a trained model against gold-coded segments, with agreement figures and the error-capture
curve that shows whether reviewing the most uncertain segments first finds the model's errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from lccode import __version__


def evaluate(gold: str | Path, model_dir: str | Path, device: str = "auto", batch_size: int = 64) -> dict:
    from lccode.data import data_hash, label_matrix, load_jsonl
    from lccode.metrics import multilabel_report
    from lccode.predict import Coder
    from lccode.uncertainty import error_capture, uncertainty_scores

    coder = Coder.load(model_dir, None, device)
    labels = coder.labels
    examples = load_jsonl(gold, labels)
    y = label_matrix(examples, labels)
    probs = coder.probabilities([e.text for e in examples], batch_size)
    pred = coder.decide(probs)
    report = multilabel_report(y, pred, labels)
    report["per_language"] = {}
    for lang in sorted({e.lang for e in examples if e.lang}):
        rows = [i for i, e in enumerate(examples) if e.lang == lang]
        rep = multilabel_report(y[rows], pred[rows], labels)
        rep.pop("per_code")
        report["per_language"][lang] = rep
    errors = (pred != y).any(axis=1)
    report["error_capture"] = error_capture(errors, uncertainty_scores(probs, coder.thresholds))
    report["provenance"] = {
        "lccode_version": __version__, "model_id": coder.meta["model_id"], "model_sha256": coder.meta["weights_sha256"],
        "codebook_ref": coder.meta["codebook_ref"], "codebook_hash": coder.meta["codebook_hash"],
        "gold_file": str(gold), "gold_hash": data_hash(examples), "device": coder.placement.describe(),
        "evaluated_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }
    return report

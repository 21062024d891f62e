"""The dev figures a training run records: thresholds tuned on what researchers read (excerpts and whole
turns), and the report per language, per kind of unit and per code."""

from __future__ import annotations

import numpy as np

from lccode.data import Example


def tuning_rows(examples: list[Example], y: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows thresholds are tuned on: each excerpt, and each transcript turn with its segments' highest
    probability per code, since a researcher reads a transcript's codes per turn (a turn carries a code when
    any of its segments does)."""
    from lccode.model.metrics import turn_level

    excerpts = [i for i, e in enumerate(examples) if e.doc is None]
    sentences = [i for i, e in enumerate(examples) if e.doc is not None]
    if not sentences:
        return y, probs
    yt, pt, _ = turn_level([examples[i] for i in sentences], y[sentences], probs[sentences])
    return np.vstack([y[excerpts], yt]), np.vstack([probs[excerpts], pt])


def calibrate_on_dev(logits: np.ndarray, examples: list[Example], y: np.ndarray):
    """What a model learns from its dev split after training (`lccode train` and quick retraining alike): a
    temperature, per-code thresholds on `tuning_rows`, and the review order's error model. Returns them with the
    dev decisions: (temperature, thresholds, dev decisions, error model or None)."""
    from lccode.model.error_model import fit_on_dev
    from lccode.model.metrics import fit_temperature, tune_thresholds
    from lccode.model.predict import sigmoid

    temperature = fit_temperature(logits, y)
    probs = sigmoid(logits / temperature)
    thresholds = tune_thresholds(*tuning_rows(examples, y, probs))
    review = fit_on_dev([e.position for e in examples], probs, thresholds, y)
    return temperature, thresholds, (probs >= thresholds).astype(np.float32), review


def dev_metrics(examples: list[Example], y: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict:
    """Figures on all dev segments, per language, on excerpts and transcript sentences apart, and per speaker turn."""
    from lccode.model.metrics import multilabel_report, turn_level

    report = multilabel_report(y, pred, labels)
    out = _summary(report) | {"per_code": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                                           for c, m in report["per_code"].items()}}
    out["per_language"] = {lang: _summary(multilabel_report(y[rows], pred[rows], labels))
                           for lang in sorted({e.lang for e in examples if e.lang})
                           if (rows := [i for i, e in enumerate(examples) if e.lang == lang])}
    excerpts = [i for i, e in enumerate(examples) if e.doc is None]
    sentences = [i for i, e in enumerate(examples) if e.doc is not None]
    if excerpts and sentences:
        out["excerpts"] = _summary(multilabel_report(y[excerpts], pred[excerpts], labels))
    if sentences:
        out["transcript_segments"] = _summary(multilabel_report(y[sentences], pred[sentences], labels))
        yt, pt, langs = turn_level([examples[i] for i in sentences], y[sentences], pred[sentences])
        turns = multilabel_report(yt, pt, labels)
        out["transcript_turns"] = _summary(turns) | {
            "per_code": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                         for c, m in turns["per_code"].items()},
            "per_language": {lang: _summary(multilabel_report(yt[rows], pt[rows], labels))
                             for lang in sorted(set(langs) - {None}) if (rows := [i for i, l in enumerate(langs) if l == lang])}}
    from lccode.model.evaluate import RELIABLE_KAPPA

    basis = out.get("transcript_turns", out)["per_code"]
    out["unreliable"] = sorted(c for c, m in basis.items() if m["support"] and not (m["kappa"] >= RELIABLE_KAPPA))
    return out


def _summary(rep: dict) -> dict:
    keys = ("n", "micro_precision", "micro_recall", "micro_f1", "macro_f1", "mean_kappa", "krippendorff_alpha", "exact_match")
    return {k: (round(rep[k], 4) if isinstance(rep[k], float) else rep[k]) for k in keys}

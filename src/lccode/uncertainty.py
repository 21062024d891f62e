"""How unsure the model is about a segment, from its calibrated probabilities and per-code thresholds.

Rule: for each code, the margin is the distance between the probability and the code's threshold on the
logit scale, |logit(p) - logit(t)| (so 0.45 vs 0.5 counts as closer than 0.05 vs 0.1 would on a raw scale
near the tails). A segment's uncertainty is driven by its least certain code: score = min over codes of the
margin. A small score means some code decision could easily flip; the review queue sorts ascending.
"""

from __future__ import annotations

import numpy as np


def _logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def margins(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    return np.abs(_logit(probs) - _logit(thresholds))


def uncertainty_scores(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Smaller = more uncertain. probs: [n, codes]; thresholds: [codes]."""
    probs = np.atleast_2d(probs)
    return margins(probs, thresholds).min(axis=1)


def error_capture(errors: np.ndarray, scores: np.ndarray, fractions=(0.05, 0.1, 0.2, 0.5), seed: int = 0) -> dict:
    """Share of erroneous segments found when reviewing the most uncertain fraction first, vs random order."""
    errors = np.asarray(errors, dtype=bool)
    n, total = len(errors), int(errors.sum())
    order = np.argsort(scores, kind="stable")
    rng = np.random.default_rng(seed)
    out = {"segments": n, "errors": total, "by_uncertainty": {}, "random": {}}
    for f in fractions:
        k = max(1, int(round(f * n)))
        found = int(errors[order[:k]].sum())
        rand = np.mean([errors[rng.permutation(n)[:k]].sum() for _ in range(200)])
        out["by_uncertainty"][f"{int(f * 100)}%"] = found / total if total else float("nan")
        out["random"][f"{int(f * 100)}%"] = float(rand / total) if total else float("nan")
    return out


def error_probabilities(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per code: the calibrated probability that the model's decision is wrong (p if it says no, 1 - p if yes)."""
    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    return np.where(probs >= thresholds, 1.0 - probs, probs)


def review_priority(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Larger = review first: the probability that at least one code decision is wrong."""
    return 1.0 - np.prod(1.0 - error_probabilities(probs, thresholds), axis=1)

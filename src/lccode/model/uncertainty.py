"""Which segments to review first: the one place the review order is decided (queue, sheets, evaluate, pages).

Rule (chosen by measurement, see scripts/bench_ranking.py and the README): review first the segments where the
model most probably made a mistake. For each code, with calibrated probability p and the code's threshold t,
the chance that the model's decision is wrong is p when it says "no" (p < t) and 1 - p when it says "yes".
A segment's priority is the chance that at least one of its code decisions is wrong,
    priority = 1 - prod over codes of (1 - P(decision wrong)),
and its focus code is the one most likely wrong. Unlike the older rule (the smallest distance between a
probability and its threshold, `margins`), it counts every doubtful code of a segment, and a code decided
"no" at p = 0.3 against t = 0.5 counts as a 30% chance of a missed code, which it is when probabilities are
calibrated (a temperature fitted on the dev split).

In a transcript, where a segment's turn tells more, a learned error model over the segment's probabilities and
its turn takes the rule's place (`lccode.model.error_model`, fitted on the dev transcripts when a model is
calibrated); `priority` applies each where it belongs. Stand-alone excerpts keep the rule.

Near-copies are spread out (`spread`): in the first part of the queue a segment whose words are nearly those
of one already ahead of it is moved back, so analysts do not decide the same sentence ten times.
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
    """Share of erroneous segments found when reviewing the first fraction in `scores` order (ascending: pass
    -review_priority), vs random order, and vs the oracle (a ranking that puts every error first): the share
    of the oracle's capture stays meaningful whatever the error rate."""
    errors = np.asarray(errors, dtype=bool)
    n, total = len(errors), int(errors.sum())
    order = np.argsort(scores, kind="stable")
    rng = np.random.default_rng(seed)
    out = {"segments": n, "errors": total, "by_uncertainty": {}, "random": {}, "oracle": {}, "share_of_oracle": {}}
    for f in fractions:
        k = max(1, int(round(f * n)))
        found = int(errors[order[:k]].sum())
        rand = np.mean([errors[rng.permutation(n)[:k]].sum() for _ in range(200)])
        key = f"{int(f * 100)}%"
        out["by_uncertainty"][key] = found / total if total else float("nan")
        out["random"][key] = float(rand / total) if total else float("nan")
        out["oracle"][key] = min(k, total) / total if total else float("nan")
        out["share_of_oracle"][key] = found / min(k, total) if total else float("nan")
    return out


def error_probabilities(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Per code: the calibrated probability that the model's decision is wrong (p if it says no, 1 - p if yes)."""
    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    return np.where(probs >= thresholds, 1.0 - probs, probs)


def review_priority(probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Larger = review first: the probability that at least one code decision is wrong."""
    return 1.0 - np.prod(1.0 - error_probabilities(probs, thresholds), axis=1)


def priority(probs: np.ndarray, thresholds: np.ndarray, positions=None, error_model=None) -> np.ndarray:
    """Larger = review first, for every place that orders segments for review: the error model's chance of an
    error for segments in a transcript (when the model has one), the rule's for the rest."""
    out = review_priority(probs, thresholds)
    if error_model is None or positions is None:
        return out
    rows = [i for i, p in enumerate(positions) if p.doc is not None]
    if rows:
        from lccode.model.error_model import features

        out[rows] = error_model.predict(features([positions[i] for i in rows], np.atleast_2d(probs)[rows], thresholds))
    return out


def _words(text: str) -> frozenset[str]:
    import re

    return frozenset(re.findall(r"\w+", text.lower()))


def spread(order, texts: list[str], window: int = 200, similar: float = 0.8) -> list[int]:
    """`order` (indices, best first) with near-copies moved back: within the first `window` places, a segment
    whose word set overlaps one ahead of it by Jaccard >= `similar` goes to just after the window."""
    order = list(order)
    head, kept, moved = order[:window], [], []
    seen: list[frozenset[str]] = []
    for i in head:
        w = _words(texts[i])
        if w and any(len(w & s) / len(w | s) >= similar for s in seen):
            moved.append(i)
            continue
        seen.append(w)
        kept.append(i)
    return kept + moved + order[window:]

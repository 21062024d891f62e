"""The review order's error model: turn features, the ridge logistic fit, storage in lccode.json."""

import json

import numpy as np
import pytest

from lccode.model.error_model import FEATURES, ErrorModel, features, fit, fit_on_dev
from lccode.records import Position


def col(name: str) -> int:
    return FEATURES.index(name)


def test_features_read_the_speaker_turn():
    th = np.array([0.5, 0.5, 0.5])
    positions = [Position("a", 0, "interviewee", "interview"), Position("a", 0, "interviewee", "interview"),
                 Position("a", 1, "facilitator", "meeting"), Position(None, None, None, None)]
    probs = np.array([[0.90, 0.01, 0.01],   # proposes code 0
                      [0.30, 0.01, 0.01],   # its neighbour proposes code 0 and it does not: a likely miss
                      [0.02, 0.60, 0.01],   # a turn of its own
                      [0.40, 0.01, 0.01]])  # a stand-alone excerpt
    F = features(positions, probs, th)
    assert F.shape == (4, len(FEATURES))
    assert F[1, col("segments in the turn")] == 2 and F[2, col("segments in the turn")] == 1
    assert F[0, col("first segment of its turn")] == 1 and F[1, col("last segment of its turn")] == 1
    assert F[1, col("first segment of its turn")] == 0
    assert F[1, col("a turn neighbour proposes the focus code")] == 1
    assert F[1, col("turn neighbours' largest probability of the focus code")] == pytest.approx(0.90)
    assert F[1, col("codes the turn neighbours propose and this segment does not")] == 1
    assert F[0, col("codes the turn neighbours propose and this segment does not")] == 0
    assert F[2, col("a turn neighbour proposes the focus code")] == 0 and F[3, col("codes the turn neighbours propose")] == 0
    assert F[1, col("rule: chance that any code decision is wrong")] == pytest.approx(1 - 0.7 * 0.99 * 0.99)
    assert F[1, col("largest chance a code decision is wrong")] == pytest.approx(0.30)
    assert F[2, col("spoken by a facilitator")] == 1 and F[2, col("from a meeting")] == 1
    assert F[0, col("spoken by a facilitator")] == 0 and F[0, col("spoken by an interviewer")] == 0


def auc(scores, labels):
    pos, neg = scores[labels], scores[~labels]
    return float((pos[:, None] > neg[None, :]).mean())


def test_fit_finds_the_feature_that_predicts_errors():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(600, len(FEATURES))) * rng.uniform(0.5, 5, size=len(FEATURES))
    signal = F[:, 10] / F[:, 10].std()
    errors = signal + rng.normal(scale=0.5, size=600) > 0.8
    m = fit(F, errors)
    p = m.predict(F)
    assert auc(p, errors) > 0.9
    assert int(np.argmax(np.abs(m.coef))) == 10
    assert p.mean() == pytest.approx(errors.mean(), abs=0.02)  # the intercept is not shrunk: calibrated on average
    assert (m.segments, m.errors) == (600, int(errors.sum()))
    weak = fit(F, errors, l2=1e4)  # a strong ridge pulls the coefficients towards zero
    assert np.abs(weak.coef).max() < np.abs(m.coef).max() / 5


def test_stored_as_json_and_older_models_have_none():
    rng = np.random.default_rng(1)
    F = rng.normal(size=(300, len(FEATURES)))
    m = fit(F, F[:, 0] > 0.5)
    d = json.loads(json.dumps(m.to_dict()))
    back = ErrorModel.from_dict(d)
    assert back is not None and np.allclose(back.predict(F), m.predict(F), atol=1e-5)
    assert ErrorModel.from_dict(None) is None
    assert ErrorModel.from_dict(d | {"features": list(FEATURES[:-1])}) is None  # made for other features
    with pytest.raises(ValueError):
        ErrorModel((0.0,), (1.0,), (0.0,), 0.0, 1, 1)


def test_fit_on_dev_needs_enough_transcript_segments_and_errors():
    rng = np.random.default_rng(2)
    th = np.full(4, 0.5)

    def dev(n, doc="t"):
        positions = [Position(doc, i // 3, "interviewee", "interview") if doc else Position() for i in range(n)]
        probs = rng.uniform(size=(n, 4))
        y = (rng.uniform(size=(n, 4)) < probs).astype(np.float32)
        return positions, probs, y

    positions, probs, y = dev(50)
    assert fit_on_dev(positions, probs, th, y) is None  # too few segments: the rule is used
    positions, probs, y = dev(400, doc=None)
    assert fit_on_dev(positions, probs, th, y) is None  # excerpts only: no turns to learn from
    positions, probs, y = dev(400)
    m = fit_on_dev(positions, probs, th, y)
    assert m is not None and m.segments == 400
    assert m.errors == int(((probs >= th) != (y > 0)).any(1).sum())
    perfect = (probs >= th).astype(np.float32)
    assert fit_on_dev(positions, probs, th, perfect) is None  # no errors at all: nothing to learn


def test_a_turn_far_longer_than_any_in_the_fit_is_not_extrapolated_without_bound():
    rng = np.random.default_rng(3)
    F = rng.uniform(size=(400, len(FEATURES)))
    F[:, col("segments in the turn")] = rng.integers(1, 8, size=400)
    m = fit(F, rng.uniform(size=400) < 0.1 + 0.08 * F[:, col("segments in the turn")])
    assert m.coef[col("segments in the turn")] > 0
    turns = F[:1].repeat(4, axis=0)
    turns[:, col("segments in the turn")] = [7, 12, 200, 2000]  # the last two are far beyond the cap
    p = m.predict(turns)
    assert p[0] < p[1] < p[2] and p[2] == pytest.approx(p[3])

"""The uncertainty rule: margin on the logit scale, a segment as uncertain as its least certain code."""

import math

import numpy as np
import pytest

from lccode.uncertainty import error_capture, margins, uncertainty_scores


def logit(p):
    return math.log(p / (1 - p))


def test_margin_is_distance_on_logit_scale():
    m = margins(np.array([[0.45, 0.05, 0.9]]), np.array([0.5, 0.1, 0.5]))
    assert m[0] == pytest.approx([abs(logit(0.45)), abs(logit(0.05) - logit(0.1)), logit(0.9)])
    # Same raw distance (0.05), but near the tail the decision is firmer.
    assert m[0, 0] < m[0, 1]


def test_segment_score_is_its_least_certain_code():
    probs = np.array([[0.02, 0.51, 0.97],   # code 2 almost on its threshold
                      [0.30, 0.20, 0.80],   # nothing close
                      [0.02, 0.03, 0.04]])  # confidently uncoded
    th = np.array([0.5, 0.5, 0.5])
    s = uncertainty_scores(probs, th)
    assert s[0] == pytest.approx(abs(logit(0.51)))
    assert s[1] == pytest.approx(min(abs(logit(0.3)), abs(logit(0.2)), abs(logit(0.8))))
    assert list(np.argsort(s)) == [0, 1, 2]


def test_per_code_thresholds_change_the_ranking():
    probs = np.array([[0.30], [0.60]])
    assert uncertainty_scores(probs, np.array([0.5]))[0] > uncertainty_scores(probs, np.array([0.5]))[1]
    low = uncertainty_scores(probs, np.array([0.3]))  # a code decided at 0.3: the first segment sits on it
    assert low[0] == pytest.approx(0.0) and low[1] > 1.0


def test_extreme_probabilities_stay_finite():
    s = uncertainty_scores(np.array([[0.0, 1.0]]), np.array([0.5, 0.5]))
    assert np.isfinite(s).all() and s[0] > 10


def test_error_capture_finds_errors_among_the_uncertain():
    rng = np.random.default_rng(1)
    scores = rng.random(200)
    errors = scores < 0.1  # every error is among the 10% least certain
    out = error_capture(errors, scores)
    assert out["errors"] == int(errors.sum())
    assert out["by_uncertainty"]["20%"] == 1.0
    assert 0.1 < out["random"]["20%"] < 0.3
    reverse = error_capture(errors, -scores)  # ranking the wrong way round finds none early
    assert reverse["by_uncertainty"]["20%"] < 0.05

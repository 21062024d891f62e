"""The review order: the chance that a code decision is wrong (and the older margin rule it replaced)."""

import math

import numpy as np
import pytest

from lccode.model.uncertainty import error_capture, margins, uncertainty_scores


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


def test_error_probability_is_p_for_a_no_and_one_minus_p_for_a_yes():
    from lccode.model.uncertainty import error_probabilities

    e = error_probabilities(np.array([[0.30, 0.80, 0.02]]), np.array([0.5, 0.5, 0.1]))
    assert e[0] == pytest.approx([0.30, 0.20, 0.02])


def test_priority_counts_every_doubtful_code():
    from lccode.model.uncertainty import review_priority

    th = np.array([0.5, 0.5, 0.5])
    one_close = np.array([[0.49, 0.01, 0.01]])     # one code on the edge
    two_doubts = np.array([[0.35, 0.35, 0.01]])    # two codes each 35% likely missed
    p1, p2 = review_priority(one_close, th)[0], review_priority(two_doubts, th)[0]
    assert p1 == pytest.approx(1 - 0.51 * 0.99 * 0.99)
    assert p2 == pytest.approx(1 - 0.65 * 0.65 * 0.99)
    assert p2 > p1  # the old rule (smallest margin) put the one-edge segment first
    assert uncertainty_scores(one_close, th)[0] < uncertainty_scores(two_doubts, th)[0]


def test_spread_moves_near_copies_back_but_keeps_everything():
    from lccode.model.uncertainty import spread

    texts = ["We learned a lot from the installers.", "We learned a lot from the installers!",
             "The budget was cut in March.", "we LEARNED a lot from the installers", "Something else entirely."]
    out = spread(range(5), texts, window=4)
    assert out == [0, 2, 1, 3, 4]  # both copies of 0 go to just after the window, in their order
    assert sorted(spread(range(5), texts, window=10)) == list(range(5))
    assert spread(range(3), ["a b", "c d", "e f"]) == [0, 1, 2]


def test_error_capture_reports_the_share_of_the_oracle():
    errors = np.array([True] * 30 + [False] * 70)
    perfect = error_capture(errors, -errors.astype(float))
    assert perfect["share_of_oracle"]["20%"] == 1.0 and perfect["oracle"]["20%"] == pytest.approx(20 / 30)
    scores = np.arange(100, dtype=float)
    errs = np.zeros(100, dtype=bool)
    errs[:10] = True
    errs[50:70] = True
    out = error_capture(errs, scores)
    assert out["share_of_oracle"]["20%"] == pytest.approx(10 / 20)  # the first 20 hold 10 of the 20 possible


def test_priority_uses_the_error_model_in_transcripts_and_the_rule_for_excerpts():
    from lccode.model.error_model import FEATURES, ErrorModel
    from lccode.model.uncertainty import priority, review_priority
    from lccode.records import Position

    n = len(FEATURES)
    first_of_turn = ErrorModel((0.0,) * n, (1.0,) * n,
                               tuple(3.0 if f == "first segment of its turn" else 0.0 for f in FEATURES), -2.0, 100, 30)
    probs = np.array([[0.2, 0.9], [0.45, 0.1], [0.6, 0.02]])
    th = np.array([0.5, 0.5])
    positions = [Position("t", 0, "interviewee", "interview"), Position("t", 0, "interviewee", "interview"),
                 Position(None, None, None, None)]
    got = priority(probs, th, positions, first_of_turn)
    assert got[0] == pytest.approx(1 / (1 + np.exp(-1.0)))  # first of its turn
    assert got[1] == pytest.approx(1 / (1 + np.exp(2.0)))
    assert got[2] == pytest.approx(review_priority(probs, th)[2])  # an excerpt: the rule
    assert np.allclose(priority(probs, th, positions, None), review_priority(probs, th))  # a model without one

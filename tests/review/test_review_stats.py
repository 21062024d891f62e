"""Agreement figures, checked against independent implementations (scikit-learn, krippendorff)."""

import json

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from lccode.review.stats import review_stats
from lccode.workspace.decisions import record_decision
from tests.review.review_data import MODEL_ID, key_of

T = {
    "top": "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt.",      # model: bd_parent_support
    "zonder": "Zonder de monteurs had dat protocol nergens op geslagen.",       # model: sf_interdependency
    "wat": "Wat bedoel je precies met dat protocol?",                          # model: fm_probing
    "wij": "Wij brachten de praktijkkennis in en kregen er nieuwe klanten voor terug.",  # model: sf_reciprocity
    "ruud": "I finally used the demolition inventory on my own site last week.",  # model: sf_practice_link, out_learning
}


def decide(ws, who, name, codes, status="coded"):
    record_decision(ws, key_of(ws, T[name]), who, codes, status=status)


def test_model_against_final_decisions(coded_ws):
    decide(coded_ws, "Anna", "top", ["bd_parent_support"])                       # model right
    decide(coded_ws, "Anna", "zonder", ["sf_practice_link"])                     # model wrong twice
    decide(coded_ws, "Anna", "wat", ["fm_probing"])                              # right
    decide(coded_ws, "Anna", "ruud", ["out_learning"])                           # one right, one extra
    decide(coded_ws, "Anna", "wij", ["sf_reciprocity"], status="unsure")        # unsure: not counted
    st = review_stats(coded_ws)
    assert st["model_id"] == MODEL_ID and st["codebook"] == coded_ws.codebook().ref and st["model_hash"] == "f" * 64
    m = st["model_vs_analysts"]
    assert m["n"] == 4
    pc = m["per_code"]
    assert pc["sf_interdependency"]["precision"] == 0.0 and pc["sf_interdependency"]["predicted"] == 1
    # analysts: practice link on 'zonder'; model: on 'ruud' -> one miss and one false alarm
    assert pc["sf_practice_link"]["support"] == 1 and pc["sf_practice_link"]["predicted"] == 1
    assert pc["sf_practice_link"]["recall"] == 0.0 and pc["sf_practice_link"]["precision"] == 0.0
    assert pc["out_learning"]["recall"] == 1.0 and pc["fm_probing"]["kappa"] == 1.0
    # micro: tp = 3 (bd, fm, out), fp = 2 (interdependency, practice link), fn = 1 (practice link on 'zonder')
    assert m["micro_precision"] == pytest.approx(3 / 5) and m["micro_recall"] == pytest.approx(3 / 4)
    y_true = [0, 1, 0, 0]  # sf_practice_link over top, zonder, wat, ruud
    y_pred = [0, 0, 0, 1]
    assert pc["sf_practice_link"]["kappa"] == pytest.approx(cohen_kappa_score(y_true, y_pred))


def test_analysts_against_each_other(coded_ws):
    a = {"top": ["bd_parent_support"], "zonder": ["sf_interdependency"], "wat": ["fm_probing"], "ruud": ["out_learning"]}
    b = {"top": ["bd_parent_support", "bd_time_pressure"], "zonder": [], "wat": ["fm_probing"], "ruud": ["out_learning"]}
    c = {"top": ["bd_parent_support"]}
    for who, mine in (("Anna", a), ("Bram", b), ("Cas", c)):
        for name, codes in mine.items():
            decide(coded_ws, who, name, codes)
    decide(coded_ws, "Bram", "wij", ["sf_reciprocity"])  # single-reviewed: not part of agreement
    ava = review_stats(coded_ws)["analyst_vs_analyst"]
    assert ava["segments"] == 4 and ava["analysts"] == ["Anna", "Bram", "Cas"]
    ids = coded_ws.codebook().code_ids
    order = sorted(key_of(coded_ws, T[n]) for n in a)
    name_of = {key_of(coded_ws, T[n]): n for n in a}

    def vec(mine):
        return [int(c in mine[name_of[k]]) for k in order for c in ids]

    ab = next(p for p in ava["pairs"] if (p["a"], p["b"]) == ("Anna", "Bram"))
    assert ab["segments"] == 4 and ab["kappa"] == pytest.approx(cohen_kappa_score(vec(a), vec(b)))
    assert ab["same_codes"] == pytest.approx(0.5)
    ac = next(p for p in ava["pairs"] if (p["a"], p["b"]) == ("Anna", "Cas"))
    assert ac["segments"] == 1 and ac["kappa"] == 1.0
    rel = np.full((3, len(order) * len(ids)), np.nan)
    for i, mine in enumerate((a, b, c)):
        for s, k in enumerate(order):
            if name_of[k] in mine:
                rel[i, s * len(ids):(s + 1) * len(ids)] = [int(x in mine[name_of[k]]) for x in ids]
    assert ava["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=rel, level_of_measurement="nominal"))
    assert ava["per_code"]["bd_parent_support"]["positives"] == 3
    assert ava["per_code"]["sf_interdependency"]["alpha"] < 0.5


def test_counts_per_community(coded_ws, tmp_path):
    decide(coded_ws, "Anna", "top", ["bd_parent_support"])
    decide(coded_ws, "Bram", "top", ["bd_time_pressure"])
    decide(coded_ws, "Anna", "wat", [], status="unsure")
    decide(coded_ws, "Anna", "ruud", ["out_learning"])
    rows = {c["community"]: c for c in review_stats(coded_ws)["communities"]}
    assert rows["gas-erop"] == {"community": "gas-erop", "segments": 6, "model_coded": 6, "reviewed": 2, "coded": 1,
                                "unsure": 1, "double_reviewed": 1, "disagreements": 1}
    assert rows["bouwcampus-circulair"]["reviewed"] == 1 and rows["bouwcampus-circulair"]["segments"] == 5
    json.dumps(review_stats(coded_ws))  # everything is plain JSON


def test_nothing_reviewed_yet(coded_ws):
    st = review_stats(coded_ws)
    assert st["model_vs_analysts"]["n"] == 0 and st["analyst_vs_analyst"]["segments"] == 0
    assert all(c["reviewed"] == 0 for c in st["communities"])

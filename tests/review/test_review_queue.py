"""The review queue on a real (small) workspace with stored predictions."""

import pytest

from lccode.errors import InputError
from lccode.review.queue import latest_code_run, review_queue
from lccode.workspace.decisions import record_decision
from tests.review.review_data import MODEL_ID, SEGMENTS, THRESHOLDS_SPECIAL, insert_predictions, key_of


def expected_order(low=0.03):
    """Segment texts ranked by the documented rule, computed here independently: the chance that at least one
    code decision is wrong (p for a code decided "no", 1 - p for one decided "yes"), largest first."""
    from lccode.codebook import load_codebook

    ids, scored = load_codebook().code_ids, []
    for _, _, text, probs in SEGMENTS:
        right = 1.0
        for c in ids:
            p, t = probs.get(c, low), THRESHOLDS_SPECIAL.get(c, 0.5)
            right *= p if p >= t else 1 - p
        scored.append((1 - right, text))
    return [t for _, t in sorted(scored, key=lambda x: -x[0])]


def test_most_probably_wrong_first(coded_ws):
    q = review_queue(coded_ws, "Anna")
    texts = [it.text for it in q.items]
    assert texts[:7] == expected_order()[:7]  # the rest tie (nothing near a threshold)
    assert texts[:4] == ["Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt.",  # two codes near their thresholds
                         "I finally used the demolition inventory on my own site last week.",
                         "Zonder de monteurs had dat protocol nergens op geslagen.",
                         "Shall we start with a round of what everyone learned since last time?"]
    first = q.items[0]
    assert first.focus_code == "bd_parent_support" and first.proposed == ("bd_parent_support",)  # 49% vs 48% wrong
    assert first.probs["bd_parent_support"] == pytest.approx(0.51)
    assert first.score == pytest.approx(1 - 0.51 * 0.52 * 0.97 ** 23)
    assert first.community == "gas-erop" and first.level == "micro" and first.lang == "nl"
    assert [it.score for it in q.items] == sorted((it.score for it in q.items), reverse=True)
    assert q.total == len(SEGMENTS) and q.decided == 0


def test_own_decisions_leave_the_queue_others_stay(coded_ws):
    k1 = key_of(coded_ws, "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt.")
    k2 = key_of(coded_ws, "Zonder de monteurs had dat protocol nergens op geslagen.")
    record_decision(coded_ws, k1, "Anna", ["bd_parent_support"])
    record_decision(coded_ws, k2, "Anna", [], status="unsure")  # a skip counts as decided
    record_decision(coded_ws, key_of(coded_ws, "Wat bedoel je precies met dat protocol?"), "Bram", ["fm_probing"])
    q = review_queue(coded_ws, "Anna")
    keys = [it.key for it in q.items]
    assert k1 not in keys and k2 not in keys
    assert q.decided == 2 and len(q.items) == len(SEGMENTS) - 2
    bram = next(it for it in q.items if it.text.startswith("Wat bedoel"))
    assert bram.decided_by == ("Bram",)
    assert len(review_queue(coded_ws, "Anna", include_decided=True).items) == len(SEGMENTS)
    assert "Wat bedoel je precies met dat protocol?" not in [
        it.text for it in review_queue(coded_ws, "Anna", skip_others=True).items]
    assert len(review_queue(coded_ws, "Bram").items) == len(SEGMENTS) - 1


@pytest.mark.parametrize("filters, expect", [
    ({"community": "bouwcampus-circulair"}, {"en-bouwcampus-test"}),
    ({"transcript": "nl-gaserop-test"}, {"nl-gaserop-test"}),
    ({"language": "nl"}, {"nl-gaserop-test"}),
    ({"level": "fieldlab"}, {"en-bouwcampus-test"}),
])
def test_filters(coded_ws, filters, expect):
    q = review_queue(coded_ws, "Anna", filters=filters)
    assert {it.transcript_id for it in q.items} == expect
    assert q.total == sum(1 for s in SEGMENTS if s[0] in expect)


def test_code_filter_ranks_by_that_code(coded_ws):
    q = review_queue(coded_ws, "Anna", filters={"code": "bd_parent_support"})
    texts = [it.text for it in q.items]
    # proposed (0.51) first; the 0.30 one is not proposed and another code is likelier wrong there: left out
    assert texts == ["Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt."]
    q = review_queue(coded_ws, "Anna", filters={"code": "sf_practice_link"})
    assert [it.text for it in q.items] == ["I finally used the demolition inventory on my own site last week."]
    assert all(it.focus_code == "sf_practice_link" for it in q.items)


def test_unknown_filter_value_lists_known_ones(coded_ws):
    with pytest.raises(InputError) as e:
        review_queue(coded_ws, "Anna", filters={"community": "gas-erup"})
    msg = e.value.render()
    assert "no community 'gas-erup'" in msg and "gas-erop" in msg and "bouwcampus-circulair" in msg
    with pytest.raises(InputError, match="no code 'sf_nonsense'"):
        review_queue(coded_ws, filters={"code": "sf_nonsense"})


def test_limit(coded_ws):
    assert len(review_queue(coded_ws, limit=3).items) == 3


def test_no_coding_run_says_what_to_do(ws_path):
    from lccode.workspace import Workspace

    ws = Workspace.open(ws_path)
    with pytest.raises(InputError) as e:
        review_queue(ws, "Anna")
    assert "lccode code" in e.value.render()
    ws.close()


def test_follows_the_latest_coding_run(coded_ws):
    assert latest_code_run(coded_ws).model_id == MODEL_ID
    # A retrained model is sure about the old top segment and unsure about the farewell.
    insert_predictions(coded_ws, {"Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt.": {"bd_parent_support": 0.97},
                                  "Dank je wel voor het gesprek.": {"fm_summarizing": 0.49}}, model_id="model-2")
    run = latest_code_run(coded_ws)
    assert run.model_id == "model-2" and run.thresholds["fm_probing"] == 0.40
    q = review_queue(coded_ws, "Anna")
    assert q.items[0].text == "Dank je wel voor het gesprek."
    assert q.items[-1].text != q.items[0].text


def test_a_model_with_an_error_model_orders_transcript_segments_by_it(coded_ws):
    """The coding run carries the model's error model (lccode.model.error_model); the queue then ranks by it.
    Here a hand-made one that finds only meetings doubtful."""
    import math

    from lccode.model.error_model import FEATURES, ErrorModel

    n = len(FEATURES)
    meetings = ErrorModel((0.0,) * n, (1.0,) * n, tuple(3.0 if f == "from a meeting" else 0.0 for f in FEATURES),
                          -2.0, 300, 90)
    insert_predictions(coded_ws, {text: probs for _, _, text, probs in SEGMENTS}, model_id="model-3",
                       review_model=meetings.to_dict())
    assert ErrorModel.from_dict(latest_code_run(coded_ws).review_model) == meetings
    q = review_queue(coded_ws, "Anna")
    meeting = [it for it in q.items if it.transcript_id == "en-bouwcampus-test"]
    assert len(meeting) == 5 and q.items[:5] == meeting
    assert all(it.score == pytest.approx(1 / (1 + math.exp(-1.0))) for it in meeting)
    assert all(it.score == pytest.approx(1 / (1 + math.exp(2.0))) for it in q.items[5:])

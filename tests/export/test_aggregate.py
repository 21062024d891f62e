"""Aggregation figures against counts worked out by hand from the fixture in export_data.py.

Fixture (12 segments, 11 coded; a person changed t1#4, confirmed t2#1 and removed the model's code on t2#2):
  t1 alpha/micro/interview/nl: 0 -, 1 sf_interdependency, 2 out_learning+sf_reciprocity, 3 -, 4 out_innovation+out_joint_practice (person)
  t2 alpha/micro/meeting/en:   0 fm_probing, 1 out_learning (person), 2 - (person removed bd_decision_authority)
  t3 beta/ecosystem/interview/en: 0 -, 1 sf_joint_identity, 2 out_learning, 3 never coded
"""

from __future__ import annotations

import pytest

from lccode.aggregate import code_counts, cooccurrence, exemplars, load_corpus
from lccode.errors import InputError
from tests.export.export_data import CORPUS, make_workspace


def test_corpus_counts_per_code(ws, summary):
    corpus, s = summary
    c = s.count("corpus", "all", "out_learning")
    assert (c.segments, c.group_segments, c.transcripts, c.group_transcripts, c.reviewed) == (3, 11, 3, 3, 1)
    assert c.share_segments == pytest.approx(3 / 11)
    assert c.share_transcripts == 1.0
    assert c.share_reviewed == pytest.approx(1 / 3)
    assert set(c.segment_keys) == {ws.keys[("t1", 2)], ws.keys[("t2", 1)], ws.keys[("t3", 2)]}


def test_human_decisions_override_the_model(ws, summary):
    _, s = summary
    removed = s.count("corpus", "all", "bd_decision_authority")  # model said 0.77, a person said no
    assert removed.segments == 0
    added = s.count("corpus", "all", "out_joint_practice")  # model said 0.044, a person added it
    assert (added.segments, added.reviewed, added.share_reviewed) == (1, 1, 1.0)
    assert added.segment_keys == (ws.keys[("t1", 4)],)


def test_per_community(summary):
    _, s = summary
    alpha = s.count("community", "alpha", "out_learning")
    beta = s.count("community", "beta", "out_learning")
    assert (alpha.segments, alpha.group_segments, alpha.transcripts, alpha.group_transcripts) == (2, 8, 2, 2)
    assert (beta.segments, beta.group_segments, beta.transcripts, beta.group_transcripts) == (1, 3, 1, 1)
    assert s.groups("community") == ["alpha", "beta"]


def test_per_category(summary):
    _, s = summary
    outcome = s.count("corpus", "all", "outcome")  # t1#2, t1#4, t2#1, t3#2
    assert (outcome.segments, outcome.transcripts, outcome.reviewed) == (4, 3, 2)
    assert outcome.share_reviewed == 0.5
    sf = s.count("corpus", "all", "success_factor")  # t1#1, t1#2, t3#1
    assert (sf.segments, sf.transcripts, sf.group_transcripts) == (3, 2, 3)
    bd = s.count("corpus", "all", "boundary_difficulty")
    assert bd.segments == 0 and bd.share_reviewed is None


def test_per_level_kind_language_and_role(summary):
    _, s = summary
    assert s.count("level", "micro", "out_learning").group_segments == 8
    assert s.count("level", "ecosystem", "out_learning").segments == 1
    meeting = s.count("kind", "meeting", "fm_probing")
    assert (meeting.segments, meeting.group_segments, meeting.group_transcripts) == (1, 3, 1)
    assert s.count("kind", "interview", "outcome").segments == 3
    assert s.count("language", "nl", "out_learning").group_segments == 5
    assert s.count("language", "en", "out_learning").segments == 2
    resp = s.count("role", "respondent", "out_learning")
    assert (resp.segments, resp.group_segments, resp.group_transcripts) == (2, 5, 2)
    part = s.count("role", "participant", "out_learning")
    assert (part.segments, part.group_segments, part.reviewed) == (1, 2, 1)
    assert s.count("role", "interviewer", "out_learning").group_segments == 3
    assert s.groups("role") == ["facilitator", "interviewer", "participant", "respondent"]


def test_every_figure_traces_to_segments_that_carry_it(summary):
    corpus, s = summary
    by_key = {seg.key: seg for seg in corpus.segments}
    cb = corpus.codebook
    for c in s.counts:
        assert len(c.segment_keys) == c.segments
        members = {c.code} if c.kind == "code" else set(next(x for x in cb.categories if x.id == c.code).code_ids)
        for key in c.segment_keys:
            seg = by_key[key]
            assert members & set(seg.codes)
            assert c.dimension == "corpus" or seg.group(c.dimension) == c.group


def test_uncoded_segments_are_counted_apart(ws, summary):
    corpus, _ = summary
    assert corpus.unprocessed == (ws.keys[("t3", 3)],)
    p = corpus.provenance
    assert (p.segments, p.coded_segments, p.reviewed_segments, p.transcripts) == (12, 11, 3, 3)
    assert p.share_reviewed == pytest.approx(3 / 11)
    assert p.model_id == "lc-test@0123456789ab" and p.model_hash == "ab" * 32
    assert p.dev_metrics["macro_f1"] == 0.644 and p.codebook_hash == corpus.codebook.hash
    # the new-writer check set's figures travel with the run into every export's model description
    from lccode.export._common import dev_metric_items

    assert ("on held-out excerpts by writers who never saw the training data",
            "micro-F1 0.852, macro-F1 0.855") in dev_metric_items(p)


def test_cooccurrence_within_segments(ws, summary):
    _, s = summary
    pairs = {(o.code_a, o.code_b): o for o in s.cooccurrence_segments}
    assert set(pairs) == {("sf_reciprocity", "out_learning"), ("out_innovation", "out_joint_practice")}
    o = pairs[("sf_reciprocity", "out_learning")]
    assert (o.count, o.count_a, o.count_b) == (1, 1, 3)
    assert o.jaccard == pytest.approx(1 / 3)
    assert o.segment_keys == (ws.keys[("t1", 2)],)


def test_cooccurrence_within_turns(ws, summary):
    _, s = summary
    pairs = {(o.code_a, o.code_b): o.count for o in s.cooccurrence_turns}
    # t1 turn 1 holds sf_interdependency, sf_reciprocity and out_learning; t3 turn 1 sf_joint_identity + out_learning
    assert pairs == {("sf_interdependency", "sf_reciprocity"): 1, ("sf_interdependency", "out_learning"): 1,
                     ("sf_reciprocity", "out_learning"): 1, ("sf_joint_identity", "out_learning"): 1,
                     ("out_innovation", "out_joint_practice"): 1}
    o = next(o for o in s.cooccurrence_turns if (o.code_a, o.code_b) == ("sf_joint_identity", "out_learning"))
    assert set(o.segment_keys) == {ws.keys[("t3", 1)], ws.keys[("t3", 2)]}
    assert o.count_b == 3  # out_learning is in three turns


def test_exemplars_reviewed_first_then_most_probable(ws, summary):
    corpus, s = summary
    quotes = s.exemplars_for("alpha", "out_learning")
    assert [q.segment_key for q in quotes] == [ws.keys[("t2", 1)], ws.keys[("t1", 2)]]  # p 0.70 reviewed before 0.80
    q = quotes[0]
    assert (q.rank, q.speaker, q.role, q.t_start, q.source) == (1, "Bob", "participant", 60.0, "analyst")
    assert ws.transcript_text("t2")[q.start_char:q.end_char] == q.text
    assert q.probability == 0.70


def test_exemplar_limit_and_order_by_probability(tmp_path):
    corpus_def = [("t9", dict(community="gamma", level=None, kind="interview", language="en",
                              roles={"Eva": "respondent"}), [
        ("Eva", [("We learned a great deal from each other in the sessions.", {"out_learning": 0.62}),
                 ("I learned how the installers actually do their daily work.", {"out_learning": 0.93}),
                 ("Learned a lot.", {"out_learning": 0.99}),
                 ("Everyone learned new ways of testing the prototypes together.", {"out_learning": 0.75})])])]
    ws, keys = make_workspace(tmp_path / "w", corpus_def, [])
    ex = exemplars(load_corpus(ws), per=3)
    # Highest probability first, but a three-word quote ranks after the full sentences.
    assert [e.segment_key for e in ex] == [keys[("t9", 1)], keys[("t9", 3)], keys[("t9", 0)]]
    assert [e.rank for e in ex] == [1, 2, 3]
    assert load_corpus(ws).segments[0].group("level") == "-"


def test_people_only_workspace_without_a_model(tmp_path):
    ws, keys = make_workspace(tmp_path / "w", CORPUS, [("t1", 1, ["sf_interdependency"])], model=False)
    corpus = load_corpus(ws)
    assert corpus.provenance.model_id is None
    assert [s.key for s in corpus.segments] == [keys[("t1", 1)]]
    counts = {(c.dimension, c.code): c.segments for c in code_counts(corpus)}
    assert counts[("corpus", "sf_interdependency")] == 1
    assert cooccurrence(corpus, "turn") == []
    with pytest.raises(InputError, match="co-occurrence unit"):
        cooccurrence(corpus, "paragraph")
    # A model that never coded the workspace is refused, not reported on as if it had coded nothing.
    with pytest.raises(InputError, match="has not coded this workspace"):
        load_corpus(ws, "lc-default@000000000000")

"""Whole coded transcripts as gold: reading and checking them, segment labels from evidence, turn-level scores."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lccode.codebook import load_codebook
from lccode.errors import InputError
from lccode.gold import gold_examples, is_gold_transcripts, load_examples, load_gold

GOLD = Path(__file__).resolve().parent / "fixtures" / "gold"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def codes():
    return load_codebook().code_ids


def test_folder_and_jsonl_are_read_with_metadata(codes):
    meeting = load_gold(GOLD / "meeting.json", codes)[0]
    assert meeting.meta.id == "fx-bouw-meeting" and meeting.meta.kind == "meeting"
    assert meeting.meta.role_of("Anna") == "facilitator"
    assert [t.codes for t in meeting.turns] == [("fm_challenging",), (), (), ("sf_interdependency",)]
    henk = load_gold(GOLD / "interview.jsonl", codes)[0]
    assert henk.meta.language == "nl" and henk.turns[1].codes == ("bd_parent_support",)
    assert is_gold_transcripts(GOLD) and is_gold_transcripts(GOLD / "interview.jsonl")
    assert not is_gold_transcripts(REPO / "training_data" / "dev.jsonl")


def test_rendered_transcript_keeps_turn_spans(codes):
    g = load_gold(GOLD / "meeting.json", codes)[0]
    tr = g.transcript()
    for turn, span in zip(g.turns, tr.turns):
        assert tr.text[span.start_char:span.end_char] == turn.text
        assert tr.text[:span.start_char].endswith(f"{turn.speaker}: ")


def test_segment_labels_follow_the_evidence_quotes(codes):
    ex = gold_examples(load_gold(GOLD / "meeting.json", codes))
    by_text = {e.text: e for e in ex}
    # The challenge needs both sentences; the small talk before it in the same turn stays uncoded.
    assert by_text["Okay, coffee is there, shall we start?"].codes == ()
    assert by_text["Can I push back a bit, Kees?"].codes == ("fm_challenging",)
    assert by_text["Last time you said nobody would ever give a warranty on reused steel."].codes == ("fm_challenging",)
    assert by_text["We tested three beams in the lab last month."].codes == ()
    assert by_text["Without the demolition guys we would not even have had the beams."].codes == ("sf_interdependency",)
    # Positions: transcript id, turn index and the speaker's role travel with every segment.
    last = by_text["Without the demolition guys we would not even have had the beams."]
    assert (last.doc, last.turn, last.speaker, last.kind) == ("fx-bouw-meeting", 3, "participant", "meeting")


def test_code_without_evidence_marks_every_segment_of_its_turn(codes):
    ex = gold_examples(load_gold(GOLD / "interview.jsonl", codes))
    henk = [e for e in ex if e.turn == 1]
    assert len(henk) >= 2 and all(e.codes == ("bd_parent_support",) for e in henk)


def test_bad_transcripts_are_reported_all_at_once(tmp_path, codes):
    bad = {"id": "x", "language": "xx", "roles": {"A": "boss"}, "turns": [
        {"speaker": "A", "text": "Hallo daar.", "codes": ["no_such_code"]},
        {"speaker": "A", "text": "Goed zo.", "codes": ["sf_reciprocity"], "evidence": {"sf_reciprocity": ["Not in the turn."]}}]}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(InputError) as err:
        load_gold(path, codes)
    text = str(err.value)
    for part in ("language", "roles", "no_such_code", "evidence quote not found", "bad.json"):
        assert part in text


def test_load_examples_reads_either_format(codes):
    assert load_examples(GOLD / "meeting.json", codes)[0].doc == "fx-bouw-meeting"
    assert load_examples(REPO / "training_data" / "dev.jsonl", codes)[0].doc is None


def test_turn_level_scores_take_the_union_of_segments(codes):
    from lccode.data import label_matrix
    from lccode.model.metrics import turn_level

    ex = gold_examples(load_gold(GOLD / "meeting.json", codes))
    y = label_matrix(ex, codes)
    pred = np.zeros_like(y)
    j = codes.index("fm_challenging")
    first = [i for i, e in enumerate(ex) if e.turn == 0]
    pred[first[-1], j] = 1  # one of the two carrying sentences is enough for the turn
    yt, pt, langs = turn_level(ex, y, pred)
    assert yt.shape[0] == len({e.turn for e in ex}) and langs[0] == "en"
    assert pt[0, j] == 1 and yt[0, j] == 1
    assert pt.sum() == 1


def test_thresholds_are_tuned_on_excerpts_and_on_whole_turns(codes):
    from lccode.data import label_matrix
    from lccode.model.dev_report import tuning_rows

    turns = gold_examples(load_gold(GOLD / "meeting.json", codes))
    excerpts = load_examples(REPO / "training_data" / "dev.jsonl", codes)[:3]
    ex = excerpts + turns
    y = label_matrix(ex, codes)
    probs = np.random.default_rng(0).random(y.shape)
    yr, pr = tuning_rows(ex, y, probs)
    n_turns = len({e.turn for e in turns})
    assert yr.shape == pr.shape == (3 + n_turns, len(codes))
    first_turn = [i for i, e in enumerate(ex) if e.doc and e.turn == 0]
    assert np.allclose(pr[3], probs[first_turn].max(axis=0))  # a turn scores its most confident segment
    assert np.array_equal(yr[:3], y[:3])


def test_a_binary_file_in_a_gold_folder_is_one_clear_message(tmp_path, codes):
    """A folder's .json files were read as UTF-8 without a check: a binary one ended in a UnicodeDecodeError."""
    (tmp_path / "a.json").write_bytes(b"\xff\xfe\x00\x01binary\x00")
    with pytest.raises(InputError, match=r"a\.json: this looks like a binary file") as info:
        load_gold(tmp_path, codes)
    assert "a coded transcript saved as UTF-8 text" in info.value.render()


def test_gold_jsonl_line_with_a_unicode_line_separator_stays_one_line(tmp_path, codes):
    turn = {"speaker": "R", "text": "Wij leerden\u2028samen.", "codes": []}
    path = tmp_path / "g.jsonl"
    path.write_text(json.dumps({"id": "x", "language": "nl", "turns": [turn]}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    (g,) = load_gold(path, codes)
    assert g.meta.id == "x"

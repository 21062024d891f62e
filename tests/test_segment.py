"""Segmentation: exact offsets over the whole sample, sentence splitting in Dutch and English, no junk segments."""

from __future__ import annotations

import re

import pytest

from lccode.errors import InputError
from lccode.ingest.plaintext import parse_turns
from lccode.records import Transcript, TranscriptMeta
from lccode.segment import Segmenter, is_filler, with_context

STAMP = re.compile(r"[\[(#]\d{1,2}:\d{2}")


def transcript(text: str, lang: str = "nl", tid: str = "t", kind: str = "interview") -> Transcript:
    return Transcript(TranscriptMeta(tid, language=lang, kind=kind), text, tuple(parse_turns(text)), f"{tid}.txt",
                      "text", "hash")


def sentences(segmenter, text: str, lang: str) -> list[str]:
    return [s.text for s in segmenter.segment(transcript(text, lang))]


# -- offsets and the whole sample corpus ---------------------------------------------------------------------

def test_offsets_round_trip_on_every_sample_segment(sample_transcripts, sample_segments):
    total = 0
    for tr, segs in zip(sample_transcripts, sample_segments):
        assert segs, tr.meta.id
        for i, s in enumerate(segs):
            assert tr.text[s.start_char:s.end_char] == s.text
            assert s.text == s.text.strip() and s.text
            assert s.index == i and s.transcript_id == tr.meta.id
            turn = tr.turns[s.turn_index]
            assert turn.start_char <= s.start_char < s.end_char <= turn.end_char
            assert s.speaker == turn.speaker and s.role == tr.meta.role_of(turn.speaker)
            assert s.lang in ("nl", "en")
        assert all(a.end_char <= b.start_char for a, b in zip(segs, segs[1:]))
        total += len(segs)
    assert total >= 1500


def test_labels_and_timestamps_are_never_inside_a_segment(sample_transcripts, sample_segments):
    for tr, segs in zip(sample_transcripts, sample_segments):
        labels = {t.speaker for t in tr.turns if t.speaker}
        for s in segs:
            assert not STAMP.search(s.text), (tr.meta.id, s.text)
            assert "-->" not in s.text and "<v" not in s.text
            assert not any(s.text.startswith((f"{name}:", f"[{name}]", f"{name.upper()}:")) for name in labels)
            # Nothing between the segment and its turn's label is content of another turn.
            assert "\n\n" not in s.text


def test_no_junk_segments_in_the_sample(sample_segments):
    for segs in sample_segments:
        for s in segs:
            assert not is_filler(s.text), s.text
            # A bracket split off its stage direction ("wel. (" + "lacht)") shows as unbalanced brackets.
            assert s.text.count("(") == s.text.count(")"), s.text
            assert s.text.count("[") == s.text.count("]"), s.text
            assert re.search(r"[^\W\d_]{2}", s.text), s.text


def test_sample_timestamps_map_to_segments(sample_transcripts, sample_segments):
    by_format = {}
    for tr, segs in zip(sample_transcripts, sample_segments):
        by_format.setdefault(tr.source_format, []).append(segs)
    for fmt in ("vtt", "srt"):
        for segs in by_format[fmt]:
            assert all(s.t_start is not None and s.t_end is not None and s.t_start <= s.t_end for s in segs)
            starts = [s.t_start for s in segs]
            assert starts == sorted(starts)


# -- sentence splitting ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("R: Dat was bijv. in Hengelo, o.a. met de gemeente. Dhr. Jansen kwam ook, d.w.z. soms.",
     ["Dat was bijv. in Hengelo, o.a. met de gemeente.", "Dhr. Jansen kwam ook, d.w.z. soms."]),
    ("R: Het kostte ca. 20 euro per uur. Mevr. de Vries betaalde.",
     ["Het kostte ca. 20 euro per uur.", "Mevr. de Vries betaalde."]),
    ("R: Vanaf 1 jan. 2024 werkt het. Echt waar.", ["Vanaf 1 jan. 2024 werkt het.", "Echt waar."]),
    # spaCy's Dutch tokenizer knows "dat." as an abbreviation; before a capital it ends the sentence.
    ("R: Zo ging dat. Ik had er niet om gevraagd.", ["Zo ging dat.", "Ik had er niet om gevraagd."]),
    ("R: Ik dacht eh... dat het wel zou lukken. Uhm, ja. Eh... ja. En toen, tja, hè? Dat was het.",
     ["Ik dacht eh... dat het wel zou lukken.", "En toen, tja, hè?", "Dat was het."]),
    ('R: Hij zei: "Dat gaat nooit werken." En toen deden we het toch.',
     ['Hij zei: "Dat gaat nooit werken."', "En toen deden we het toch."]),
    ("R: Ik ben niet zo van het papierwerk, maar praten lukt wel. (lacht) Zo ging dat.",
     ["Ik ben niet zo van het papierwerk, maar praten lukt wel.", "(lacht) Zo ging dat."]),
    ("R: Praten lukt wel. (lacht)\n\nInterviewer: Mooi zo. Volgende vraag.",
     ["Praten lukt wel.", "Mooi zo.", "Volgende vraag."]),
    ("R: Uhm. Eh. Ja, ja. Mm-hm. Oké. Nou, dat is een goed punt.", ["Nou, dat is een goed punt."]),
])
def test_dutch_sentences(segmenter, text, expected):
    assert sentences(segmenter, text, "nl") == expected


@pytest.mark.parametrize("text, expected", [
    ("R: We met Dr. Smith, i.e. the director, at approx. 3 p.m. on Jan. 5. Then Mr. Jones left.",
     ["We met Dr. Smith, i.e. the director, at approx. 3 p.m. on Jan. 5.", "Then Mr. Jones left."]),
    ("R: The U.S. and the U.K. both tried it. We used v. 2.0 of the tool.",
     ["The U.S. and the U.K. both tried it.", "We used v. 2.0 of the tool."]),
    ("R: I thought, uh... it would work. Um, yeah. Uh... yeah. So, well, you know? That was it.",
     ["I thought, uh... it would work.", "So, well, you know?", "That was it."]),
    ('R: She said: "That will never work." And then we did it anyway.',
     ['She said: "That will never work."', "And then we did it anyway."]),
    ("R: It's healthy, my wife says. (laughs) So now I walk.",
     ["It's healthy, my wife says.", "(laughs) So now I walk."]),
    ("R: Mm-hmm. Uh-huh. Right. Okay, so. Hmm. Yeah, yeah. (laughs) [inaudible] The point is the network.",
     ["(laughs) [inaudible] The point is the network."]),
    ("R: Is it? Yes! It is.", ["Is it?", "It is."]),
])
def test_english_sentences(segmenter, text, expected):
    assert sentences(segmenter, text, "en") == expected


def test_fixture_transcript_sentences(fixture_segments):
    assert [s.text for s in fixture_segments["nl-stamped"]][5:11] == [
        "Eerlijk?", "De baas zei: jij gaat.", "Zo ging dat.", "Ik dacht eh... wat moeten ze mij nog leren?",
        "Maar het viel mee, bijv. de middag over warmtepompen van dhr. Jansen was echt goed.",
        "Dat was ca. 20 min. rijden vanaf de zaak, vanaf 1 jan. 2024 zitten we in Hengelo."]
    # "Um... honestly?" has a word to code; "Mm-hmm." and "(laughs)" turns leave nothing.
    roles = [s.text for s in fixture_segments["en-roles"]]
    assert "Um... honestly?" in roles and not any("Mm-hmm" in t or t == "(laughs)" for t in roles)


@pytest.mark.parametrize("text", [
    "Uhm.", "Eh...", "eh, ja", "Ja, ja.", "Mm-hm.", "Mm-hmm.", "Uh-huh.", "Oké.", "Nou ja...", "(lacht)", "(laughs)",
    "(gelach)", "[inaudible]", "[onverstaanbaar 00:12]", "(both laugh)", "(laughs) Okay.", "Hè?", "...", "",
])
def test_fillers_and_stage_directions(text):
    assert is_filler(text)


@pytest.mark.parametrize("text", [
    "Nee, dat klopt niet.", "Expansievat.", "Two went fine.", "(lacht) Stil.", "Ja, de gemeente.",
    "(this was the hardest part of the whole project, honestly)", "Ok, budget.",
])
def test_content_is_not_filler(text):
    assert not is_filler(text)


# -- units, context, languages, times ------------------------------------------------------------------------

def test_turn_unit_is_one_segment_per_turn_split_at_timestamps(fixture_transcripts):
    tr = fixture_transcripts["nl-stamped"]
    segs = Segmenter(unit="turn").segment(tr)
    assert [s.turn_index for s in segs] == [0, 1, 2, 3, 3, 4, 5]
    for s in segs:
        assert tr.text[s.start_char:s.end_char] == s.text and not STAMP.search(s.text)
    # The stamped second paragraph of turn 3 gets its own time.
    assert [(s.t_start, s.t_end) for s in segs if s.turn_index == 3] == [(26.0, 62.0), (62.0, 75.0)]
    # Paragraphs without a stamp between them stay one turn segment.
    assert segs[-1].text.startswith("Uhm... ja.\n(lacht)\nNou,") and segs[-1].text.endswith("vroeger nooit.")


def test_turn_unit_on_subtitles_and_docx(fixture_transcripts):
    seg = Segmenter(unit="turn")
    srt = seg.segment(fixture_transcripts["en-srt"])
    assert [(s.speaker, s.t_start, s.t_end) for s in srt] == [
        ("Anna", 4.062, 13.192), ("Ruud", 14.179, 17.549), ("Marloes", 18.571, 22.246), ("Anna", 23.0, 26.5)]
    docx = seg.segment(fixture_transcripts["nl-docx"])
    assert [s.speaker for s in docx] == [None, "I", "R", "I", "R", "I", "R"]


def test_presegmented_rows_stay_as_cut(fixture_segments):
    assert [s.text for s in fixture_segments["nl-csv"]] == [
        "Hoe begon het fieldlab?", "Met een telefoontje, eigenlijk. De gemeente belde.", "En daarna?"]
    assert [s.speaker for s in fixture_segments["en-jsonl"]] == ["Mark", "Mark", "Interviewer"]


def test_context_gives_neighbours(fixture_transcripts):
    segs = Segmenter(context=1).segment(fixture_transcripts["nl-hash"])
    assert segs[0].context_before is None and segs[0].context_after == segs[1].text
    assert segs[2].context_before == segs[1].text and segs[2].context_after == segs[3].text
    assert segs[-1].context_after is None
    wide = with_context(segs, 2)
    assert wide[2].context_before == f"{segs[0].text} {segs[1].text}"


def test_language_is_detected_per_turn_in_a_mixed_transcript(fixture_segments):
    langs = {(s.speaker, s.lang) for s in fixture_segments["mixed"]}
    assert langs == {("Interviewer", "nl"), ("Lukas", "en")}


def test_language_from_the_manifest_is_used_as_given(fixture_transcripts):
    tr = fixture_transcripts["mixed"]
    from dataclasses import replace

    forced = replace(tr, meta=replace(tr.meta, language="en"))
    assert {s.lang for s in Segmenter().segment(forced)} == {"en"}


def test_cue_times_map_to_sentences(fixture_segments):
    vtt = fixture_segments["nl-vtt"]
    assert [(s.text, s.t_start, s.t_end) for s in vtt[:3]] == [
        ("Zo, de opname loopt.", 2.3, 6.8), ("Jeroen, doe jij die deur even dicht?", 2.3, 6.8),
        ("Dan horen we die schoonmaakkar niet.", 7.1, 9.4)]
    # A sentence across two cues runs from the first cue's start to the second cue's end.
    srt = {s.text: (s.t_start, s.t_end) for s in fixture_segments["en-srt"]}
    assert srt["The A35 was a disaster again, apparently."] == (7.561, 13.192)
    assert srt["Okay, shall we... I think we can start."] == (4.062, 7.232)


def test_every_fixture_segment_round_trips(fixture_transcripts, fixture_segments):
    for tid, segs in fixture_segments.items():
        text = fixture_transcripts[tid].text
        assert segs, tid
        assert all(text[s.start_char:s.end_char] == s.text for s in segs), tid


# -- keys ------------------------------------------------------------------------------------------------------

def test_keys_survive_an_edit_for_unchanged_sentences(segmenter):
    before = segmenter.segment(transcript("R: Eerste zin hier. Tweede zin hier. Derde zin hier.\n"))
    after = segmenter.segment(
        transcript("I: Nieuwe vraag?\n\nR: Eerste zin hier. Tweede zin, aangepast. Derde zin hier.\n"))
    keys_before = {s.text: s.key for s in before}
    keys_after = {s.text: s.key for s in after}
    assert keys_after["Eerste zin hier."] == keys_before["Eerste zin hier."]
    assert keys_after["Derde zin hier."] == keys_before["Derde zin hier."]
    assert keys_after["Tweede zin, aangepast."] not in keys_before.values()


def test_repeated_sentences_get_distinct_keys(segmenter):
    segs = segmenter.segment(
        transcript("R: Precies wat ik bedoel. Dat is het.\n\nI: Ja?\n\nR: Precies wat ik bedoel.\n"))
    keys = [s.key for s in segs]
    assert len(set(keys)) == len(keys) == 3
    assert keys[2] == keys[0] + "~1"


def test_batched_and_single_segmentation_agree(fixture_transcripts, fixture_segments):
    single = Segmenter()
    for tid in ("nl-stamped", "en-srt", "mixed"):
        assert single.segment(fixture_transcripts[tid]) == fixture_segments[tid]


def test_bad_segmenter_options():
    with pytest.raises(InputError, match="unit") as info:
        Segmenter(unit="paragraph")
    assert info.value.problems[0].expected == "sentence | turn"
    with pytest.raises(InputError, match="context"):
        Segmenter(context=-1)

"""Transcripts as transcription services and meeting tools export them: speakers, stamps and exact spans."""

from __future__ import annotations

import pytest

from lccode.ingest import read_transcript


def _turns(tmp_path, name: str, content: str):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    t = read_transcript(path)
    return [(u.speaker, u.t_start, [t.text[a:b] for a, b in u.blocks]) for u in t.turns]


EXPECTED = [("Anna", 3.0, ["Goedemorgen, zullen we beginnen?"]),
            ("Pieter", 7.0, ["Ja prima. Ik wil eerst iets kwijt over de planning."]),
            ("Anna", 15.0, ["Ga je gang."])]

LAYOUTS = {
    # Amberscript / Happy Scribe style: the name and a bracketed stamp on a line of their own, words below.
    "name_then_bracketed_stamp": "Anna [00:00:03]\nGoedemorgen, zullen we beginnen?\n\n"
                                 "Pieter [00:00:07]\nJa prima. Ik wil eerst iets kwijt over de planning.\n\n"
                                 "Anna [00:00:15]\nGa je gang.\n",
    # Rev: "Name (mm:ss):" above the words.
    "rev": "Anna (00:03):\nGoedemorgen, zullen we beginnen?\n\n"
           "Pieter (00:07):\nJa prima. Ik wil eerst iets kwijt over de planning.\n\nAnna (00:15):\nGa je gang.\n",
    # Stamp first, then the name (Word's Transcribe: "00:00:03 Speaker 1").
    "stamp_then_name": "00:00:03 Anna\nGoedemorgen, zullen we beginnen?\n\n"
                       "00:00:07 Pieter\nJa prima. Ik wil eerst iets kwijt over de planning.\n\n"
                       "00:00:15 Anna\nGa je gang.\n",
    "bracketed_stamp_dash_name": "[00:00:03.00] - Anna\nGoedemorgen, zullen we beginnen?\n\n"
                                 "[00:00:07.00] - Pieter\nJa prima. Ik wil eerst iets kwijt over de planning.\n\n"
                                 "[00:00:15.00] - Anna\nGa je gang.\n",
    # A bare clock before a "Name:" label on the line.
    "bare_stamp_label": "00:00:03 Anna: Goedemorgen, zullen we beginnen?\n"
                        "00:00:07 Pieter: Ja prima. Ik wil eerst iets kwijt over de planning.\n"
                        "00:00:15 Anna: Ga je gang.\n",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_service_layouts_give_speakers_stamps_and_only_the_words(tmp_path, layout):
    assert _turns(tmp_path, f"{layout}.txt", LAYOUTS[layout]) == EXPECTED


def test_numbered_speakers_are_speakers(tmp_path):
    rev = "Speaker 1 (00:03): Hello everyone.\nSpeaker 2 (00:07): Hi, thanks for having me.\nSpeaker 1 (00:12): Good.\n"
    assert [s for s, _, _ in _turns(tmp_path, "rev.txt", rev)] == ["Speaker 1", "Speaker 2", "Speaker 1"]
    amber = "Spreker 1 [00:00:03]: Hoe begon het?\nSpreker 2 [00:00:09]: Met een telefoontje van Saxion.\n"
    assert _turns(tmp_path, "amber.txt", amber) == [("Spreker 1", 3.0, ["Hoe begon het?"]),
                                                    ("Spreker 2", 9.0, ["Met een telefoontje van Saxion."])]
    whisperx = "SPEAKER_00: How did it start?\nSPEAKER_01: With a phone call.\nSPEAKER_00: And then?\n"
    assert [s for s, _, _ in _turns(tmp_path, "wx.txt", whisperx)] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]


def test_f4transkript_paragraph_stamps_are_time_not_speech(tmp_path):
    f4 = ("I: Wie bent u en hoe kwam u bij de leergemeenschap? #00:00:05-1#\n\n"
          "B: Nou, ik ben installateur. Mijn baas stuurde me. #00:00:14-8#\n\n"
          "I: #00:00:15-2# En wat leverde het op?\n")
    assert _turns(tmp_path, "f4.txt", f4) == [
        ("I", None, ["Wie bent u en hoe kwam u bij de leergemeenschap?"]),
        ("B", None, ["Nou, ik ben installateur. Mijn baas stuurde me."]),
        ("I", pytest.approx(15.2), ["En wat leverde het op?"])]


def test_a_stamped_short_utterance_is_not_a_speaker(tmp_path):
    text = ("[00:00:03] Interviewer: Hoe begon het?\n[00:00:07] Respondent: Met een telefoontje.\n"
            "[00:00:12] Klopt\n[00:00:15] Interviewer: En toen?\n")
    assert _turns(tmp_path, "klopt.txt", text) == [
        ("Interviewer", 3.0, ["Hoe begon het?"]), ("Respondent", 7.0, ["Met een telefoontje.", "Klopt"]),
        ("Interviewer", 15.0, ["En toen?"])]


def test_prose_with_a_numbered_step_and_a_lone_stamped_name_stays_prose(tmp_path):
    text = "We begonnen om negen uur.\nStap 1: iedereen stelt zich voor.\nDaarna gingen we naar de hal.\n"
    assert [s for s, _, _ in _turns(tmp_path, "prose.txt", text)] == [None]
    once = "00:10:00\nKoffiepauze\nWe praten straks verder over de planning.\n"
    [(speaker, _, blocks)] = _turns(tmp_path, "once.txt", once)
    assert speaker is None and blocks == ["00:10:00\nKoffiepauze\nWe praten straks verder over de planning."]


def test_zoom_vtt_speaker_who_speaks_once_keeps_their_words(tmp_path):
    vtt = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.000\nAnna de Vries: Goedemorgen allemaal.\n\n"
           "2\n00:00:04.500 --> 00:00:09.000\nPieter Jansen: Ja, dank je. De warmtepomp draait.\n\n"
           "3\n00:00:09.500 --> 00:00:12.000\nAnna de Vries: Mooi zo.\n")
    path = tmp_path / "zoom.vtt"
    path.write_text(vtt, encoding="utf-8")
    t = read_transcript(path)
    assert [(u.speaker, u.t_start) for u in t.turns] == [("Anna de Vries", 1.0), ("Pieter Jansen", 4.5),
                                                          ("Anna de Vries", 9.5)]
    assert "Ja, dank je. De warmtepomp draait." in t.text[t.turns[1].start_char:t.turns[1].end_char]


def _docx(path, paragraphs_before=(), rows=(), paragraphs_after=()):
    import docx

    d = docx.Document()
    for p in paragraphs_before:
        d.add_paragraph(p)
    if rows:
        table = d.add_table(rows=0, cols=len(rows[0]))
        for row in rows:
            for cell, value in zip(table.add_row().cells, row):
                cell.text = value
    for p in paragraphs_after:
        d.add_paragraph(p)
    d.save(str(path))
    t = read_transcript(path)
    return t, [(u.speaker, u.t_start, [t.text[a:b] for a, b in u.blocks]) for u in t.turns]


def test_nvivo_transcript_table_gives_speakers_times_and_words(tmp_path):
    rows = [("", "Timespan", "Content", "Speaker"),
            ("1", "0:00.0 - 0:07.5", "Hoe kwam je bij de leergemeenschap?", "Interviewer"),
            ("2", "0:07.5 - 0:21.0", "Nou, via mijn baas eigenlijk. Die had het van de ROC-docent gehoord.", "Ruben"),
            ("3", "0:21.0 - 0:25.3", "En wat leverde het op?", "interviewer")]
    _, turns = _docx(tmp_path / "nvivo.docx", ["Interview Gas erop! Ruben, 14 mei 2026"], rows)
    assert turns == [(None, None, ["Interview Gas erop! Ruben, 14 mei 2026"]),
                     ("Interviewer", 0.0, ["Hoe kwam je bij de leergemeenschap?"]),
                     ("Ruben", 7.5, ["Nou, via mijn baas eigenlijk. Die had het van de ROC-docent gehoord."]),
                     ("Interviewer", 21.0, ["En wat leverde het op?"])]


def test_two_column_speaker_table_without_header(tmp_path):
    rows = [("I", "Wat deed de procesbegeleider?"), ("R", "Ze vroeg steeds door. Waarom denk je dat?"),
            ("I", "En verder?")]
    _, turns = _docx(tmp_path / "twocol.docx", rows=rows)
    assert turns == [("I", None, ["Wat deed de procesbegeleider?"]),
                     ("R", None, ["Ze vroeg steeds door. Waarom denk je dat?"]), ("I", None, ["En verder?"])]


def test_a_details_table_above_the_interview_keeps_its_words_and_makes_no_speakers(tmp_path):
    t, turns = _docx(tmp_path / "details.docx", rows=[("Datum", "14 mei 2026"), ("Plaats", "Enschede")],
                     paragraphs_after=["I: Hoe begon het?", "R: Met een telefoontje van Saxion.", "I: En toen?"])
    assert "Datum" in t.text and "Enschede" in t.text
    assert [s for s, _, _ in turns] == [None, "I", "R", "I"]
    assert turns[0][2] == ["Datum 14 mei 2026", "Plaats Enschede"]


def test_odt_transcript_table_like_the_docx_one(tmp_path):
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentText()
    doc.text.addElement(P(text="Interview Ruben"))
    table = Table(name="Transcript")
    table.addElement(TableColumn(numbercolumnsrepeated=3))
    for row in [("Tijd", "Spreker", "Tekst"), ("00:00:04", "Interviewer", "Hoe kwam je erbij?"),
                ("00:00:09", "Ruben", "Via de docent van het ROC."), ("00:00:15", "Interviewer", "En toen?")]:
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.text.addElement(table)
    doc.save(str(tmp_path / "t.odt"))
    t = read_transcript(tmp_path / "t.odt")
    assert [(u.speaker, u.t_start, [t.text[a:b] for a, b in u.blocks]) for u in t.turns] == [
        (None, None, ["Interview Ruben"]), ("Interviewer", 4.0, ["Hoe kwam je erbij?"]),
        ("Ruben", 9.0, ["Via de docent van het ROC."]), ("Interviewer", 15.0, ["En toen?"])]


F4_RTF = (r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Arial;}}\f0\fs24 "
          r"I: Hoe kwam u bij de leergemeenschap? #00:00:05-1#\par\par "
          r"B: Nou, ik ben installateur. Mijn baas stuurde me, en de docent van het ROC ook. Caf\'e9 en \u8364?10. "
          r"#00:00:14-8#\par\par I: En wat leverde het op? #00:00:18-0#\par}")


def test_f4transkript_rtf_reads_like_its_text(tmp_path):
    path = tmp_path / "interview.rtf"
    path.write_bytes(F4_RTF.encode("ascii"))
    t = read_transcript(path)
    assert [(u.speaker, [t.text[a:b] for a, b in u.blocks]) for u in t.turns] == [
        ("I", ["Hoe kwam u bij de leergemeenschap?"]),
        ("B", ["Nou, ik ben installateur. Mijn baas stuurde me, en de docent van het ROC ook. Café en €10."]),
        ("I", ["En wat leverde het op?"])]
    assert "\\par" not in t.text and "fonttbl" not in t.text


@pytest.mark.parametrize("content, why", [(b"I: dit is gewoon tekst", "not a Rich Text Format file"),
                                          (b"{\\rtf1 \\u99999999999 kapot}", "RTF markup could not be read")])
def test_a_broken_rtf_is_refused_with_the_file_named(tmp_path, content, why):
    from lccode.errors import InputError

    path = tmp_path / "kapot.rtf"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_transcript(path)
    assert why in str(err.value) and "kapot.rtf" in str(err.value)


NOT_SPEAKERS = {
    # a stamped short answer, before or after the stamp, is speech of the turn it is in
    "answers_with_stamps_after": ("I: Ook voor uw moeder? [00:01:20]\nR: Ja. [00:01:22]\nZeker. [00:01:24]\n"
                                  "Ze huilde veel in die tijd. [00:01:30]\nI: En toen? [00:01:33]\n",
                                  [("I", ["Ook voor uw moeder?"]), ("R", ["Ja.", "Zeker.", "Ze huilde veel in die tijd."]),
                                   ("I", ["En toen?"])]),
    "stamp_lines_over_labelled_turns": ("[00:01:10]\nI: Woont u hier al lang\n\n[00:01:15]\nR: Ja\n\n"
                                        "[00:01:20]\nI: Bevalt het u\n\n[00:01:24]\nR: Nee\n",
                                        [("I", ["Woont u hier al lang"]), ("R", ["Ja"]), ("I", ["Bevalt het u"]),
                                         ("R", ["Nee"])]),
    "stamped_unlabelled_speech": ("[00:00:05] Goedemorgen\n[00:00:07] welkom bij deze sessie over warmtepompen.\n"
                                  "[00:00:12] Goedemorgen\n[00:00:14] fijn dat u er bent.\n",
                                  [(None, ["Goedemorgen", "welkom bij deze sessie over warmtepompen.", "Goedemorgen",
                                           "fijn dat u er bent."])]),
    "numbered_steps_in_a_turn": ("R: Nou, het ging zo.\n\nStap 1: je meldt je aan bij de school.\n\n"
                                 "Stap 2: je loopt een dag mee.\n\nI: Duidelijk.\n",
                                 [("R", ["Nou, het ging zo.", "Stap 1: je meldt je aan bij de school.",
                                         "Stap 2: je loopt een dag mee."]), ("I", ["Duidelijk."])]),
}


@pytest.mark.parametrize("case", sorted(NOT_SPEAKERS))
def test_short_answers_steps_and_stamped_speech_make_no_speakers(tmp_path, case):
    text, expected = NOT_SPEAKERS[case]
    assert [(s, b) for s, _, b in _turns(tmp_path, f"{case}.txt", text)] == expected


def test_agenda_and_minutes_make_no_speakers(tmp_path):
    agenda = ("10:30 Coffee Break\nWe will reconvene after the break to discuss the heat pump pilot.\n\n"
              "11:00 Coffee Break\nSecond round of coffee for the late arrivals.\n")
    assert [s for s, _, _ in _turns(tmp_path, "agenda.txt", agenda)] == [None]
    minutes = "09:00 Opening: de voorzitter heet iedereen welkom.\n09:15 Mededelingen: geen.\n"
    assert [s for s, _, _ in _turns(tmp_path, "minutes.txt", minutes)] == [None]


def test_a_details_table_with_names_makes_no_speakers(tmp_path):
    rows = [("Interviewer", "Jan de Boer"), ("Respondent", "R4"), ("Locatie", "Utrecht"), ("Duur", "45 minuten")]
    t, turns = _docx(tmp_path / "details2.docx", rows=rows, paragraphs_after=["I: Hoe begon het?", "R: Goed."])
    assert turns[0][0] is None and "Jan de Boer" in turns[0][2][0]
    assert [s for s, _, _ in turns[1:]] == ["I", "R"]

"""A folder as users have them: transcripts beside an .odt, a memo, a stop-word list and a survey; QualCoder's
"[id1]" speaker markers; labels a manifest names; text in a language other than Dutch or English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lccode.errors import InputError
from lccode.ingest import read_transcript, scan
from lccode.ingest.plaintext import parse_turns
from lccode.records import TranscriptMeta

TRANSCRIPTS = Path(__file__).resolve().parent / "fixtures" / "transcripts"

# QualCoder's convention (its Examples/transcript.txt): each paragraph opens with a lower-case "[idN]" marker.
ID_TRANSCRIPT = (
    "[id1] hello, I like the course. It really helped me to understand the history of the region.\n\n"
    "[id2] I am struggling with the lecture slides. They were too busy and I switched off.\n\n"
    "[id3] No. I think the slides are OK but there were too many assignments.\n\n"
    "[id1] I am learning a lot and it is presented easily for me.\n\n"
    "[id3] yes, I am learning a lot as well.\n\n"
    "[id2] Hmm, I will ask the tutor for more help.\n")


def write_odt(path: Path, paragraphs: list[str]) -> Path:
    """An OpenDocument text as LibreOffice writes it (odfpy builds the same package: content.xml, styles, manifest)."""
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Interview Anna"))
    for p in paragraphs:
        doc.text.addElement(P(text=p))
    doc.save(str(path))
    return path


def test_qualcoder_id_markers_are_speakers_and_never_inside_a_segment(segmenter, tmp_path):
    path = tmp_path / "transcript.txt"
    path.write_text(ID_TRANSCRIPT, encoding="utf-8")
    tr = read_transcript(path)
    assert [t.speaker for t in tr.turns] == ["id1", "id2", "id3", "id1", "id3", "id2"]
    segs = segmenter.segment(tr)
    assert segs[0].text == "hello, I like the course." and segs[0].speaker == "id1"
    assert not any("[id" in s.text or s.text.startswith("id") for s in segs)
    # A manifest can give them roles.
    tr = read_transcript(path, TranscriptMeta("qc", roles=(("id1", "interviewer"), ("id2", "respondent"))))
    assert [tr.meta.role_of(t.speaker) for t in tr.turns][:2] == ["interviewer", "respondent"]
    assert tr.notes == ()


def test_any_label_the_manifest_names_is_a_speaker_and_an_unused_one_is_noted(tmp_path):
    text = "moderator: Welkom allemaal.\n\nDr. Jansen: Dank je, fijn om er te zijn.\n\nmoderator: Laten we beginnen.\n"
    path = tmp_path / "m.txt"
    path.write_text(text, encoding="utf-8")
    assert [t.speaker for t in parse_turns(text)] == [None]  # without a manifest: neither label is a convention
    meta = TranscriptMeta("m", kind="meeting", roles=(("Moderator", "facilitator"), ("Dr. Jansen", "participant"),
                                                      ("Piet", "participant")))
    tr = read_transcript(path, meta)
    assert [(t.speaker, meta.role_of(t.speaker)) for t in tr.turns] == [
        ("moderator", "facilitator"), ("Dr. Jansen", "participant"), ("moderator", "facilitator")]
    assert tr.text[tr.turns[1].start_char:tr.turns[1].end_char] == "Dank je, fijn om er te zijn."
    assert tr.notes == ("the manifest names speaker 'Piet', but no turn in the file opens with that label",)


def test_odt_is_read_paragraph_by_paragraph(tmp_path):
    path = write_odt(tmp_path / "anna.odt", ["Interviewer: Hoe ging het?", "Anna: We leerden veel van elkaar.",
                                             "Interviewer: En verder?", "Anna: Het protocol is er gekomen."])
    tr = read_transcript(path)
    assert tr.source_format == "odt"
    assert [(t.speaker, tr.text[t.start_char:t.end_char]) for t in tr.turns][1:3] == [
        ("Interviewer", "Hoe ging het?"), ("Anna", "We leerden veel van elkaar.")]
    bad = tmp_path / "bad.odt"
    bad.write_text("not a document", encoding="utf-8")
    with pytest.raises(InputError, match="not an OpenDocument text") as exc:
        read_transcript(bad)
    assert "fix:" in exc.value.render()


def _mixed_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "transcript.txt").write_text(ID_TRANSCRIPT, encoding="utf-8")
    (folder / "en_roles_interview.txt").write_bytes((TRANSCRIPTS / "en_roles_interview.txt").read_bytes())
    write_odt(folder / "ID2.odt", ["I have not studied much before, but my father encouraged me to study again.",
                                   "I really want someone to sit down with me and explain the course material."])
    (folder / "project_memo.txt").write_text("Memo: check the coding of id2 with Colin.\nTwo more interviews.\n",
                                            encoding="utf-8")
    (folder / "NOTES.txt").write_text("These files can be used to test file import.\n", encoding="utf-8")
    (folder / "common-words.txt").write_text("the\na\nan\nand\nof\nto\nin\nde\nhet\neen\n", encoding="utf-8")
    (folder / "survey456.csv").write_text(
        "Case,Age,Gender,freetext\nID4,24,f,\"I wanted to do some more studies, but I lost the interest.\"\n"
        "ID5,,m,I needed to upskill in some areas for my work.\n", encoding="utf-8")
    (folder / "seascape.jpg").write_bytes(b"\xff\xd8\xff\xe0")
    return folder


def test_a_mixed_folder_gives_a_per_file_account(tmp_path):
    folder = _mixed_folder(tmp_path)
    found, skipped = scan([folder])
    assert [p.name for p, _ in found] == ["ID2.odt", "en_roles_interview.txt", "transcript.txt"]
    why = {s.path.name: s.reason for s in skipped}
    assert set(why) == {"NOTES.txt", "project_memo.txt", "common-words.txt", "survey456.csv", "seascape.jpg"}
    assert "by its name a memo file" in why["project_memo.txt"] and "notes file" in why["NOTES.txt"]
    assert "a word list (10 of 10 lines are one word)" in why["common-words.txt"]
    assert "no 'text' column (columns: Case, Age, Gender, freetext)" in why["survey456.csv"]
    assert "--text-column" in why["survey456.csv"]
    assert "not a transcript format" in why["seascape.jpg"]

    # Naming the survey's text column takes the survey, one answer per segment.
    found, skipped = scan([folder], text_column="freetext")
    assert "survey456.csv" in [p.name for p, _ in found]
    tr = read_transcript(folder / "survey456.csv", text_column="freetext")
    assert tr.presegmented and tr.text.split("\n\n")[1] == "I needed to upskill in some areas for my work."


def test_with_a_manifest_only_its_files_are_read(tmp_path):
    folder = _mixed_folder(tmp_path)
    (folder / "manifest.csv").write_text("file,id,community,roles\ntranscript.txt,qc,course,id1=interviewer\n"
                                         "ID2.odt,id2,course,\n", encoding="utf-8")
    found, skipped = scan([folder])
    assert [(p.name, m.id) for p, m in found] == [("transcript.txt", "qc"), ("ID2.odt", "id2")]
    assert all("not listed in manifest.csv" in s.reason for s in skipped) and len(skipped) == 6


def test_cli_add_prints_what_was_taken_and_skipped(tmp_path, cli):
    folder = _mixed_folder(tmp_path)
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0
    (folder / "short.txt").write_text("R: We leerden veel van elkaar.\n", encoding="utf-8")
    code, out, err = cli("add", "-w", ws, folder, "--text-column", "freetext")
    assert code == 0, err
    lines = {ln.split("│")[1].strip(): ln for ln in out.splitlines() if ln.count("│") >= 5}
    assert "added" in lines["ID2.odt"] and "3 segments; language en" in lines["ID2.odt"]  # heading + 2 paragraphs
    assert "added" in lines["survey456.csv"] and "2 segments" in lines["survey456.csv"]
    assert "skipped" in lines["project_memo.txt"] and "skipped" in lines["common-words.txt"]
    assert "1 segment;" in lines["short.txt"] and not re.search(r"(?<!\d)1 segments", out)
    from lccode.workspace import Workspace

    stored = [t.id for t in Workspace.open(ws).transcripts()]
    assert stored == ["ID2", "en_roles_interview", "short", "survey456", "transcript"]


def test_other_languages_are_labelled_other_with_the_language_recorded(tmp_path, cli):
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "hu.txt").write_text(
        "Interjúztató: Hogyan működött az együttműködés a partnerekkel?\n\n"
        "Anna: Nagyon sokat tanultunk egymástól, és a szerelők tapasztalata nélkül nem ment volna.\n\n"
        "Interjúztató: És mi lett az eredmény?\n\n"
        "Anna: Végül közösen kidolgoztunk egy új protokollt, amelyet most minden héten használunk.\n", encoding="utf-8")
    (folder / "fr.txt").write_text(
        "Intervieweur: Comment s'est passée la collaboration avec les partenaires de la communauté?\n\n"
        "Claire: Nous avons beaucoup appris les uns des autres, surtout des techniciens sur le terrain.\n\n"
        "Intervieweur: Et le résultat?\n\n"
        "Claire: Nous avons finalement élaboré ensemble un nouveau protocole que nous utilisons chaque semaine.\n",
        encoding="utf-8")
    ws = tmp_path / "ws"
    cli("init", ws)
    code, out, err = cli("add", "-w", ws, folder)
    assert code == 0, err
    assert "other (hu)" in out and "other (fr)" in out
    from lccode.workspace import Workspace

    langs = {s.lang for s in Workspace.open(ws).segments(transcript="hu")}
    assert "other" in langs and not langs & {"nl"}

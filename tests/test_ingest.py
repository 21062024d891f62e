"""Transcript ingest: every format, speaker/timestamp conventions, decoding, manifests, and each bad input."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lccode.errors import InputError
from lccode.ingest import discover, read_transcript
from lccode.ingest.manifest import load_manifest
from lccode.ingest.plaintext import parse_turns
from lccode.records import TranscriptMeta

TESTS = Path(__file__).resolve().parent
FIXTURES = TESTS / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
BAD = FIXTURES / "bad"
MANIFESTS = FIXTURES / "manifests"
SAMPLE = TESTS.parent / "corpus_sample"


def turn_texts(tr):
    return [(t.speaker, tr.text[t.start_char:t.end_char]) for t in tr.turns]


# -- every format -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tid, fmt, speakers", [
    ("nl-stamped", "text", ["Interviewer", "Henk", "Interviewer", "Henk", "Interviewer", "Henk"]),
    ("en-roles", "text", ["I", "R", "I", "R", "I", "R"]),
    ("en-brackets", "text", ["Interviewer", "Mark", "Interviewer", "Mark"]),
    ("nl-hash", "text", ["Interviewer", "Sandra", "Interviewer", "Sandra"]),
    ("en-meeting-names", "text", ["Facilitator", "Jan van der Berg", "Facilitator", "Jan van der Berg", "Respondent",
                                  "Facilitator"]),
    ("nl-vtt", "vtt", ["Marieke", "Jeroen", "Ingrid"]),
    ("en-zoom", "vtt", ["Anna de Vries", "Priya Sharma"]),
    ("en-srt", "srt", ["Anna", "Ruud", "Marloes", "Anna"]),
    ("nl-docx", "docx", [None, "I", "R", "I", "R", "I", "R"]),
    ("en-jsonl", "jsonl", ["Mark", "Mark", "Mark", "Interviewer"]),
    ("nl-csv", "csv", ["Interviewer", "Henk", "Henk", "Interviewer"]),
    ("en-crlf", "text", ["Interviewer", "Respondent", "Interviewer", "Respondent"]),
])
def test_every_format_gives_turns_with_speakers(fixture_transcripts, tid, fmt, speakers):
    tr = fixture_transcripts[tid]
    assert tr.source_format == fmt
    assert [t.speaker for t in tr.turns] == speakers
    assert tr.presegmented == (fmt in ("jsonl", "csv"))
    for t in tr.turns:
        content = tr.text[t.start_char:t.end_char]
        assert content and content == content.strip()
        # The label is before the turn's content, never in it.
        if t.speaker:
            assert not content.startswith((t.speaker + ":", f"[{t.speaker}]", t.speaker.upper() + ":"))


def test_manifest_metadata_reaches_the_transcript(fixture_transcripts):
    tr = fixture_transcripts["nl-stamped"]
    assert (tr.meta.community, tr.meta.level, tr.meta.kind, tr.meta.date, tr.meta.language) == (
        "gas-erop", "micro", "interview", "2026-03-12", "nl")
    assert tr.meta.role_of("Henk") == "respondent" and tr.meta.role_of("interviewer") == "interviewer"
    # Roles as "Label=role; ..." text in YAML work as well as a mapping.
    assert fixture_transcripts["en-brackets"].meta.roles == (("Interviewer", "interviewer"), ("Mark", "respondent"))
    # Unmapped labels: role words by meaning, names by the kind of transcript.
    meeting = fixture_transcripts["en-meeting-names"].meta
    assert [meeting.role_of(s) for s in ("Facilitator", "Jan van der Berg", "Respondent")] == [
        "facilitator", "participant", "respondent"]
    assert fixture_transcripts["en-roles"].meta.role_of("I") == "interviewer"


def test_content_hash_is_of_the_file_bytes(fixture_transcripts):
    import hashlib

    tr = fixture_transcripts["nl-docx"]
    assert tr.content_hash == hashlib.sha256(Path(tr.source_path).read_bytes()).hexdigest()


def test_plain_text_is_kept_exactly_as_read(fixture_transcripts):
    for tid in ("nl-stamped", "en-roles", "en-brackets", "nl-hash", "en-meeting-names", "mixed"):
        tr = fixture_transcripts[tid]
        assert tr.text == Path(tr.source_path).read_text(encoding="utf-8")


# -- speaker and timestamp conventions ---------------------------------------------------------------------

@pytest.mark.parametrize("line, speaker, seconds", [
    ("Interviewer: Hoe begon het?", "Interviewer", None),
    ("I: Hoe begon het?", "I", None),
    ("R: Hoe begon het?", "R", None),
    ("Respondent: Hoe begon het?", "Respondent", None),
    ("Facilitator: Hoe begon het?", "Facilitator", None),
    ("[Henk] Hoe begon het?", "Henk", None),
    ("[00:12:31] Interviewer: Hoe begon het?", "Interviewer", 751.0),
    ("(00:12) Interviewer: Hoe begon het?", "Interviewer", 12.0),
    ("#00:12:31.200# Interviewer: Hoe begon het?", "Interviewer", 751.2),
    ("Interviewer: [00:12:31] Hoe begon het?", "Interviewer", 751.0),
    ("(12:31) [Mark] Hoe begon het?", "Mark", 751.0),
    ("Henk (00:12:31): Hoe begon het?", "Henk", 751.0),
    ("  [1:02:03,5] R: Hoe begon het?", "R", 3723.5),
])
def test_speaker_conventions(line, speaker, seconds):
    # A transcript uses its convention throughout: here the line opens the first and the last turn.
    text = f"{line}\n\nInterviewer: En toen?\n\n{line}\n"
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == [speaker, "Interviewer", speaker]
    assert turns[0].t_start == seconds
    for t in (turns[0], turns[2]):
        assert text[t.start_char:t.end_char] == "Hoe begon het?"


def test_a_name_label_counts_when_it_opens_two_turns():
    text = "Henk: Eerste beurt.\n\nNote: this line is not a speaker.\n\nHenk: Tweede beurt.\n"
    turns = parse_turns(text)
    assert [t.speaker for t in turns] == ["Henk", "Henk"]
    # The one-off "Note:" line is content of Henk's first turn, not a turn of its own.
    assert "Note: this line" in text[turns[0].start_char:turns[0].end_char]


def test_names_with_particles_are_one_speaker():
    turns = parse_turns("Jan van der Berg: Ja.\n\nAnna de Vries: Nee.\n\nJan van der Berg: Toch wel.\n\n"
                        "Anna de Vries: Echt niet.\n")
    assert [t.speaker for t in turns] == ["Jan van der Berg", "Anna de Vries", "Jan van der Berg", "Anna de Vries"]


def test_stamped_paragraphs_inside_a_turn_are_timed_blocks(fixture_transcripts):
    tr = fixture_transcripts["nl-stamped"]
    turn = tr.turns[3]  # Henk's turn with a second, stamped paragraph
    assert (turn.t_start, turn.t_end) == (26.0, 75.0)
    assert len(turn.blocks) == 2
    second = tr.text[turn.blocks[1][0]:turn.blocks[1][1]]
    assert second.startswith("Dat was ca. 20 min.") and "[00:01:02]" not in second
    assert [(c[2], c[3]) for c in turn.cues] == [(26.0, 62.0), (62.0, 75.0)]


def test_blank_lines_and_wrapped_lines(fixture_transcripts):
    tr = fixture_transcripts["en-crlf"]
    assert "\r\n" in tr.text  # Windows line ends are kept, offsets count them
    assert turn_texts(tr)[1] == ("Respondent", "We now call each other. Before the\r\nLearning Community we never did.")


# -- subtitles ---------------------------------------------------------------------------------------------

def test_vtt_voices_tags_notes_and_cue_times(fixture_transcripts):
    tr = fixture_transcripts["nl-vtt"]
    assert "<v" not in tr.text and "<i>" not in tr.text and "NOTE" not in tr.text and "-->" not in tr.text
    marieke, jeroen, ingrid = tr.turns
    assert (marieke.t_start, marieke.t_end) == (2.3, 9.4)
    assert tr.text[jeroen.start_char:jeroen.end_char] == "Ja. Zo. Het is hier ook niet warm, hè. Zeventien graden."
    # mm:ss.ttt timings; a cue without a voice continues the previous speaker
    assert (ingrid.t_start, ingrid.t_end) == (16.1, 24.0)
    assert tr.text[ingrid.start_char:ingrid.end_char].endswith("Maar goed, we zijn er.")
    for start, end, t0, t1 in ingrid.cues:
        assert t0 <= t1 and ingrid.start_char <= start < end <= ingrid.end_char


def test_vtt_speaker_labels_in_cue_text(fixture_transcripts):
    tr = fixture_transcripts["en-zoom"]
    assert turn_texts(tr) == [
        ("Anna de Vries", "Welcome, everyone. Let us start with a short round. Who wants to go first?"),
        ("Priya Sharma", "I can. We tested the sensors on two wards. The night staff liked them."),
    ]


def test_srt_capital_and_bracket_labels(fixture_transcripts):
    tr = fixture_transcripts["en-srt"]
    texts = turn_texts(tr)
    assert texts[0] == ("Anna", "Okay, shall we... I think we can start. Gerrit is parking, he just texted me. "
                                "The A35 was a disaster again, apparently.")
    # A one-off "Two:" inside a cue is speech, not a speaker.
    assert texts[2] == ("Marloes", "(laughs) Two: the floor slabs are good, but the length does not match.")
    assert [(t.t_start, t.t_end) for t in tr.turns] == [(4.062, 13.192), (14.179, 17.549), (18.571, 22.246),
                                                        (23.0, 26.5)]


# -- docx and pre-segmented tables -------------------------------------------------------------------------

def test_docx_paragraphs_become_blocks(fixture_transcripts):
    tr = fixture_transcripts["nl-docx"]
    assert tr.text.startswith("Impactinterview H2Hub Twente – coördinator fieldlab\n\nI: Zo,")
    # A soft line break inside a paragraph stays inside the respondent's turn.
    assert turn_texts(tr)[4] == ("R", "Met drie bedrijven en Saxion. De provincie betaalde het eerste jaar.\n"
                                      "Daarna moesten we het zelf doen, en dat was lastig.")


def test_jsonl_and_csv_rows_are_segments_as_cut(fixture_transcripts):
    jl = fixture_transcripts["en-jsonl"]
    assert [t for _, t in turn_texts(jl)] == [
        "We started the fieldlab with three companies and one school.", "Uhm, yeah.",
        "And the province paid for the first year.", "What happened after that?"]
    cs = fixture_transcripts["nl-csv"]
    # The empty row is skipped; the short last row (no 'note' cell) is read.
    assert [t for _, t in turn_texts(cs)] == [
        "Hoe begon het fieldlab?", "Met een telefoontje, eigenlijk. De gemeente belde.", "Ja.", "En daarna?"]


# -- decoding ----------------------------------------------------------------------------------------------

def test_encodings_give_the_same_text(fixture_transcripts, caplog):
    utf8 = fixture_transcripts["nl-bom"].text
    assert not utf8.startswith("\ufeff") and "één protocol" in utf8 and "café-overleg" in utf8
    assert fixture_transcripts["nl-utf16"].text == utf8
    assert fixture_transcripts["nl-cp1252"].text == utf8


def test_cp1252_is_read_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        tr = read_transcript(TRANSCRIPTS / "nl_cp1252.txt")
    assert "één" in tr.text
    assert any("nl_cp1252.txt" in r.getMessage() and "cp1252" in r.getMessage() for r in caplog.records)
    # The warning names the file, never the interview's text.
    assert not any("bijeenkomst" in r.getMessage() for r in caplog.records)


# -- bad input: one clear message each --------------------------------------------------------------------

BAD_INPUTS = [
    ("empty.txt", "the file is empty", None),
    ("whitespace_only.srt", "the file is empty", None),
    ("binary.txt", "binary file", None),
    ("undecodable.txt", "cannot decode byte 0x81", 3),
    ("not_a_zip.docx", "not a Word document", None),
    ("empty.docx", "the file is empty", None),
    ("no_text.docx", "the document has no text", None),
    ("unsupported.pdf", "unsupported file type '.pdf'", None),
    ("no_header.vtt", "must start with the line 'WEBVTT'", 1),
    ("comma_timing.vtt", "malformed subtitle cue: '00:00:03,000 --> 00:00:04,000'", 8),
    ("no_timing.vtt", "no timing line in 'stray text without a timing line'", 7),
    ("dot_timing.srt", "malformed subtitle cue: '00:00:03.000 --> 00:00:04.000'", 6),
    ("backwards.srt", "cue ends before it starts", 5),
    ("only_number.srt", "a cue number with nothing after it", 5),
    ("bad_json.jsonl", "not valid JSON", 2),
    ("no_text_key.jsonl", "the line has no 'text' string", 2),
    ("no_text_column.csv", "no 'text' column", 1),
]


@pytest.mark.parametrize("name, message, line", BAD_INPUTS)
def test_bad_input_gives_one_clear_message(name, message, line):
    path = BAD / name
    with pytest.raises(InputError) as info:
        read_transcript(path)
    problems = info.value.problems
    assert len(problems) == 1
    p = problems[0]
    assert message in p.message
    assert Path(p.file) == path
    assert p.line == line
    assert p.expected and p.fix
    rendered = info.value.render()
    where = rendered.split("\n")[0].split(": ")[0]  # "FILE:LINE (field 'x')"
    assert where.startswith(f"{path}{':' + str(line) if line else ''}")
    assert "expected:" in rendered and "fix:" in rendered


def test_missing_file_is_named():
    with pytest.raises(InputError, match="file not found"):
        read_transcript(BAD / "does_not_exist.txt")
    with pytest.raises(InputError, match="path not found"):
        discover([BAD / "no_such_folder"])


# -- manifests ---------------------------------------------------------------------------------------------

def test_manifest_naming_a_missing_file():
    with pytest.raises(InputError) as info:
        load_manifest(MANIFESTS / "missing_file" / "manifest.csv")
    (p,) = info.value.problems
    assert (p.line, p.field) == (3, "file") and "'two.txt'" in p.message and "does not exist" in p.message
    assert p.fix


def test_manifest_with_unknown_level():
    with pytest.raises(InputError) as info:
        load_manifest(MANIFESTS / "bad_level" / "manifest.csv")
    (p,) = info.value.problems
    assert (p.line, p.field) == (2, "level") and "unknown level 'meso'" in p.message
    assert p.expected == "ecosystem | fieldlab | micro"


def test_manifest_reports_every_problem_at_once():
    with pytest.raises(InputError) as info:
        load_manifest(MANIFESTS / "many_problems" / "manifest.csv")
    fields = [(p.line, p.field) for p in info.value.problems]
    assert fields == [(2, "level"), (2, "kind"), (2, "language"), (2, "date"), (2, "roles")]


def test_manifest_with_bad_yaml_names_the_line():
    with pytest.raises(InputError) as info:
        load_manifest(MANIFESTS / "bad_yaml" / "manifest.yaml")
    (p,) = info.value.problems
    assert "not valid YAML" in p.message and p.line == 5 and p.fix


def test_manifest_with_unknown_column(tmp_path):
    (tmp_path / "a.txt").write_text("R: Hallo daar.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,comunity\na.txt,gas-erop\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"unknown column\(s\) \['comunity'\]"):
        load_manifest(tmp_path / "manifest.csv")


def test_manifest_naming_a_file_too_long_for_the_file_system(tmp_path):
    """A name over 255 bytes makes the file system refuse to look it up; the manifest says so like any missing file."""
    (tmp_path / "manifest.csv").write_text("file,id\n" + "a" * 300 + ".txt,x\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_manifest(tmp_path / "manifest.csv")
    assert "which does not exist beside the manifest" in e.value.render() and "manifest.csv:2" in e.value.render()


def test_yaml_manifest_entry_must_be_a_mapping(tmp_path):
    (tmp_path / "manifest.yaml").write_text("transcripts:\n  - a.txt\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(tmp_path / "manifest.yaml")
    assert info.value.problems[0].line == 2


def test_folder_with_manifest_adds_what_it_lists_and_says_what_it_leaves_out(copy_files, caplog):
    folder = copy_files(TRANSCRIPTS / "en_roles_interview.txt", TRANSCRIPTS / "en_crlf.txt")
    (folder / "manifest.csv").write_text("file,community\nen_roles_interview.txt,zorg\n", encoding="utf-8")
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        found = discover([folder])
    assert [(p.name, m.community) for p, m in found] == [("en_roles_interview.txt", "zorg")]
    assert any("en_crlf.txt" in r.getMessage() and "README" not in r.getMessage() for r in caplog.records)


def test_folder_without_manifest_adds_every_transcript_but_readme(copy_files):
    folder = copy_files(TRANSCRIPTS / "en_roles_interview.txt", TRANSCRIPTS / "nl_meeting_voices.vtt",
                        TRANSCRIPTS / "nl_roles_interview.docx")
    (folder / "README.md").write_text("# notes\n", encoding="utf-8")
    (folder / "notes.pdf").write_bytes(b"%PDF")
    assert [(p.name, m) for p, m in discover([folder])] == [
        ("en_roles_interview.txt", None), ("nl_meeting_voices.vtt", None), ("nl_roles_interview.docx", None)]


def test_single_file_gets_its_manifest_row():
    [(path, meta)] = discover([TRANSCRIPTS / "nl_hash_stamps.txt"])
    assert meta == TranscriptMeta("nl-hash", "energie-coalitie", "ecosystem", "interview", None, "nl", ())


def test_the_sample_corpus_manifest_is_complete():
    metas = load_manifest(SAMPLE / "manifest.csv")
    assert len(metas) >= 8
    assert {m.level for m in metas.values()} == {"ecosystem", "fieldlab", "micro"}
    assert {m.kind for m in metas.values()} == {"interview", "meeting"}
    assert {Path(f).suffix for f in metas} >= {".txt", ".docx", ".vtt", ".srt"}


def test_stage_directions_are_not_speakers(tmp_path):
    turns = parse_turns("[Henk] Ja.\n\n[Laughter] Dat klopt.\n\n[Henk] Nee.\n\n[Laughter] Echt.\n")
    assert [t.speaker for t in turns] == ["Henk", "Henk"]
    srt = tmp_path / "sdh.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,000\n[MUSIC] Welcome.\n\n2\n00:00:02,500 --> 00:00:04,000\n"
                   "ANNA: Hello all.\n\n3\n00:00:04,500 --> 00:00:06,000\n[inaudible] so we start.\n\n"
                   "4\n00:00:06,500 --> 00:00:08,000\nLAUGHTER: ha ha\n", encoding="utf-8")
    tr = read_transcript(srt)
    assert turn_texts(tr) == [(None, "[MUSIC] Welcome."),
                              ("Anna", "Hello all. [inaudible] so we start. LAUGHTER: ha ha")]


# -- found by a hostile-input probe: inputs that were refused, misread or silently half-read ------------------------

def test_jsonl_keeps_a_line_with_unicode_line_separators_whole(tmp_path):
    """JSON allows U+2028, U+2029 and U+0085 unescaped in a string; only CR/LF end a JSON line."""
    f = tmp_path / "t.jsonl"
    f.write_text('{"text": "Eerste zin\u2028samen\u2029leren\u0085hier."}\r{"text": "Tweede zin."}\n', encoding="utf-8")
    tr = read_transcript(f)
    assert [tr.text[t.start_char:t.end_char] for t in tr.turns] == ["Eerste zin samen leren hier.", "Tweede zin."]


@pytest.mark.parametrize("ext, delim", [(".csv", ";"), (".csv", "\t")])
def test_csv_separated_by_semicolons_or_tabs_is_read(tmp_path, ext, delim):
    """Excel with Dutch settings saves CSV with semicolons; the header's separator is the file's."""
    f = tmp_path / f"t{ext}"
    f.write_text(f'speaker{delim}text\nA{delim}"Zin een; met puntkomma."\nB{delim}Zin twee.\n', encoding="utf-8")
    tr = read_transcript(f)
    assert turn_texts(tr) == [("A", "Zin een; met puntkomma."), ("B", "Zin twee.")]
    (tmp_path / "memo-free").mkdir()
    assert [p.name for p, _ in discover([tmp_path])] == [f.name]  # the folder scan finds its text column too


def test_manifest_separated_by_semicolons(tmp_path):
    (tmp_path / "a.txt").write_text("Henk: Hallo daar.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text('file;community;roles\na.txt;gas-erop;"Henk=respondent;I=interviewer"\n',
                                           encoding="utf-8")
    meta = load_manifest(tmp_path / "manifest.csv")["a.txt"]
    assert meta.community == "gas-erop" and meta.roles == (("Henk", "respondent"), ("I", "interviewer"))


def test_manifest_giving_one_label_two_roles_is_refused(tmp_path):
    (tmp_path / "a.txt").write_text("Henk: Hallo daar.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,roles\na.txt,Henk=respondent;henk=interviewer\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_manifest(tmp_path / "manifest.csv")
    (p,) = info.value.problems
    assert p.line == 2 and p.field == "roles" and "'henk' is given two roles (respondent and interviewer)" in p.message


@pytest.mark.parametrize("name, text", [("manifest.csv", "file,community\n"), ("manifest.yaml", "transcripts: []\n")])
def test_a_manifest_that_lists_nothing_is_refused_not_ignored(tmp_path, name, text):
    """A folder with a manifest gives the files it lists: an empty one used to be ignored, every file read."""
    (tmp_path / "a.txt").write_text("R: Hallo daar.\n", encoding="utf-8")
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="the manifest lists no transcripts") as info:
        discover([tmp_path])
    assert info.value.problems[0].file == tmp_path / name and info.value.problems[0].fix


def test_two_manifests_in_one_folder_are_refused(tmp_path):
    (tmp_path / "a.txt").write_text("R: Hallo daar.\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text("file,community\na.txt,een\n", encoding="utf-8")
    (tmp_path / "manifest.yaml").write_text("transcripts:\n  - file: a.txt\n    community: twee\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"2 manifests: manifest\.csv, manifest\.yaml"):
        discover([tmp_path / "a.txt"])


def test_empty_manifest_message_is_about_a_manifest(tmp_path):
    (tmp_path / "a.txt").write_text("R: Hallo daar.\n", encoding="utf-8")
    (tmp_path / "manifest.yaml").write_text("  \n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        discover([tmp_path])
    text = info.value.render()
    assert "manifest.yaml: the file is empty" in text and "a manifest with content" in text
    assert "transcription tool" not in text


def test_folder_of_only_non_transcripts_is_refused(tmp_path):
    """Nothing in the folder would be added: one message saying why, not a table and exit 0."""
    (tmp_path / "memo.txt").write_text("R: Een memo.\n", encoding="utf-8")
    (tmp_path / "paper.pdf").write_bytes(b"%PDF-1.4")
    with pytest.raises(InputError, match=r"holds no transcript lccode reads \(2 files left out: memo\.txt: .*paper\.pdf"):
        discover([tmp_path])


@pytest.mark.parametrize("ext, body", [
    (".vtt", "WEBVTT\r\r00:00:01.000 --> 00:00:02.000\r<v Anna>Zin samen leren.\r\r00:00:03.000 --> 00:00:04.000\r"
             "<v Bob>Ja.\r"),
    (".srt", "1\r00:00:01,000 --> 00:00:02,000\rANNA: Zin samen leren.\r\r2\r00:00:03,000 --> 00:00:04,000\rBOB: Ja.\r"),
])
def test_subtitles_with_old_mac_line_ends(tmp_path, ext, body):
    f = tmp_path / f"t{ext}"
    f.write_bytes(body.encode("utf-8"))
    assert turn_texts(read_transcript(f)) == [("Anna", "Zin samen leren."), ("Bob", "Ja.")]


def test_vtt_entities_and_timestamp_tags_are_not_kept_as_text(tmp_path):
    f = tmp_path / "t.vtt"
    f.write_text("WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v R&amp;D team>Wij<00:00:02.000><c> deden</c>"
                 "<00:00:03.000><c> R&amp;D &lt;samen&gt;.</c>\n", encoding="utf-8")
    assert turn_texts(read_transcript(f)) == [("R&D team", "Wij deden R&D <samen>.")]


def test_webvtt_saved_as_srt_says_so(tmp_path):
    f = tmp_path / "t.srt"
    f.write_text("\ufeffWEBVTT\n\n00:00:01.000 --> 00:00:02.000\nZin.\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"t\.srt:1: this is a WebVTT file") as info:
        read_transcript(f)
    assert "rename the file to .vtt" in info.value.render()


def _xlsx(path, edit=None, sheets=(("Sheet", [("speaker", "text"), ("A", "Zin een.")]),)):
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(list(r))
    wb.save(path)
    if edit:
        data = path.read_bytes()
        import io

        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
            for m in src.infolist():
                part = src.read(m.filename)
                dst.writestr(m, edit(part) if m.filename == "xl/worksheets/sheet1.xml" else part)
        path.write_bytes(out.getvalue())
    return path


def test_xlsx_row_numbered_past_the_last_row_is_refused_fast(tmp_path):
    """<row r="99999999999">: openpyxl makes an empty row for every number skipped; reading never ended."""
    import time

    far = b'<row r="99999999999"><c r="B99999999999" t="inlineStr"><is><t>ver weg</t></is></c></row></sheetData>'
    f = _xlsx(tmp_path / "t.xlsx", lambda x: x.replace(b"</sheetData>", far))
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=r"t\.xlsx:1048577: the sheet numbers a row past row 1,048,576"):
        read_transcript(f)
    assert time.perf_counter() - t0 < 30


def test_xlsx_with_the_segments_on_another_sheet_names_the_sheets(tmp_path):
    f = _xlsx(tmp_path / "t.xlsx", sheets=(("Info", [("about",), ("x",)]), ("Data", [("text",), ("Zin een.",)])))
    with pytest.raises(InputError, match=r"no 'text' column in the first sheet \('Info'\).*2 sheets: Info, Data") as info:
        read_transcript(f)
    assert "move the sheet with the segments to the front" in info.value.render()


def test_docx_with_a_doctype_is_refused(tmp_path):
    import zipfile

    src = FIXTURES / "transcripts" / "nl_roles_interview.docx"
    f = tmp_path / "t.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zout:
        for m in zin.infolist():
            data = zin.read(m.filename)
            if m.filename == "word/document.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>', 1)
            zout.writestr(m, data)
    with pytest.raises(InputError, match="word/document.xml declares a DOCTYPE"):
        read_transcript(f)
    assert read_transcript(src).turns  # the fixture itself still reads


def test_docx_with_a_corrupt_compressed_document_is_refused(tmp_path):
    """A damaged deflate stream surfaces from zipfile as zlib.error, not BadZipFile (found by the fuzz test)."""
    import zipfile

    src = FIXTURES / "transcripts" / "nl_roles_interview.docx"
    f = tmp_path / "t.docx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zout:
        for m in zin.infolist():
            zout.writestr(m.filename, zin.read(m.filename), compress_type=zipfile.ZIP_DEFLATED)
    data = bytearray(f.read_bytes())
    with zipfile.ZipFile(f) as z:
        info = z.getinfo("word/document.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for k in range(start + 2, start + 40):  # the deflate block header and its first codes
        data[k] ^= 0x55
    f.write_bytes(bytes(data))
    with pytest.raises(InputError, match=r"this \.docx could not be read") as err:
        read_transcript(f)
    assert str(f) in err.value.render()


# -- found by a malformed-input probe: timings, BOM-less UTF-16, unclosed voice tags, one-off speakers --------------

@pytest.mark.parametrize("name, body, line", [
    ("t.vtt", "WEBVTT\n\n00:99:05.000 --> 00:99:09.000\n<v Anna>Hallo.\n", 3),
    ("t.vtt", "WEBVTT\n\n00:01.000 --> 00:75.000\n<v Anna>Hallo.\n", 3),  # mm:ss.ttt without hours
    ("t.srt", "1\n00:00:01,000 --> 00:00:02,000\nANNA: Hallo.\n\n2\n00:00:75,000 --> 00:01:20,000\nBOB: Hoi.\n", 6),
])
def test_subtitle_minutes_or_seconds_of_60_or_more_are_refused(tmp_path, name, body, line):
    f = tmp_path / name
    f.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_transcript(f)
    (p,) = info.value.problems
    assert (Path(p.file), p.line) == (f, line) and "minutes or seconds out of range" in p.message
    assert "with minutes and seconds below 60" in p.expected and p.fix


def test_vtt_hours_past_99_are_read(tmp_path):
    f = tmp_path / "t.vtt"
    f.write_text("WEBVTT\n\n100:00:01.000 --> 100:00:02.500\n<v Anna>Nog steeds bezig.\n", encoding="utf-8")
    (turn,) = read_transcript(f).turns
    assert (turn.t_start, turn.t_end) == (360001.0, 360002.5)


def test_vtt_cue_ending_before_it_starts_names_its_timing(tmp_path):
    f = tmp_path / "t.vtt"
    f.write_text("WEBVTT\n\n00:00:05.000 --> 00:00:03.000\n<v Anna>Hallo.\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_transcript(f)
    (p,) = info.value.problems
    assert p.line == 3 and "cue ends before it starts ('00:00:05.000 --> 00:00:03.000')" in p.message
    assert p.expected == "an end time at or after the start time" and p.fix


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("name, body, turns", [
    ("t.txt", "Interviewer: Hoe begon het café-overleg?\r\n\r\nHenk: Met één telefoontje.\r\n",
     [("Interviewer", "Hoe begon het café-overleg?"), ("Henk", "Met één telefoontje.")]),
    ("t.vtt", "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n<v Anna>Zin één.\n", [("Anna", "Zin één.")]),
    ("t.srt", "1\n00:00:01,000 --> 00:00:02,000\nANNA: Zin één.\n", [("Anna", "Zin één.")]),
])
def test_utf16_without_a_bom_is_read(tmp_path, codec, name, body, turns):
    """Some Windows tools write UTF-16 without a BOM; it was refused as a binary (it is full of NUL bytes)."""
    f = tmp_path / name
    f.write_bytes(body.encode(codec))
    tr = read_transcript(f)
    assert turn_texts(tr) == turns  # offsets count characters of the decoded text
    if name == "t.txt":
        assert tr.text == body


@pytest.mark.parametrize("data", [
    bytes(b for i in range(300) for b in (i % 7 + 1, 0)),  # little-endian 16-bit numbers: decodes to controls
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" * 40,  # NULs at both even and odd bytes
    "Anna: Hallo.\n".encode("utf-16-le")[:-1],  # an odd number of bytes is not UTF-16
])
def test_binaries_with_nul_bytes_are_still_refused(tmp_path, data):
    f = tmp_path / "t.txt"
    f.write_bytes(data)
    with pytest.raises(InputError, match="binary file, not text"):
        read_transcript(f)


@pytest.mark.parametrize("cue, line, text", [
    ("<v Anna Hello there", 7, "Anna Hello there"),
    ("First line\n<v.loud Anna de Vries <i>Hello</i>", 8, "First line Anna de Vries Hello"),
])
def test_vtt_voice_tag_without_its_closing_bracket_is_text_without_a_speaker(tmp_path, caplog, cue, line, text):
    """Where the name ends cannot be known; the cue keeps its words and does not join the previous speaker's turn."""
    f = tmp_path / "t.vtt"
    f.write_text(f"WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n<v Bob>Hi.\n\n00:00:04.000 --> 00:00:06.000\n{cue}\n\n"
                 "00:00:07.000 --> 00:00:08.000\n<v Bob>Ja.\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        tr = read_transcript(f)
    assert turn_texts(tr) == [("Bob", "Hi."), (None, text), ("Bob", "Ja.")]
    assert [(t.t_start, t.t_end) for t in tr.turns] == [(1.0, 3.0), (4.0, 6.0), (7.0, 8.0)]
    (warning,) = [r.getMessage() for r in caplog.records]
    assert f"{f}:{line}: 1 WebVTT voice tag(s) without the closing '>'" in warning
    assert "Anna" not in warning  # file and line only, never a participant's name


@pytest.mark.parametrize("text, turns", [
    ("Anna: Hallo daar.\n\nBob: Hoi.\n", [("Anna", "Hallo daar."), ("Bob", "Hoi.")]),
    ("Anna: Hallo daar.\n\nBob: Hoi.\n\nAnna: Tot ziens.\n", [("Anna", "Hallo daar."), ("Bob", "Hoi."),
                                                             ("Anna", "Tot ziens.")]),
    ("Anna: Hallo daar.\nBob: Hoi.\n", [("Anna", "Hallo daar."), ("Bob", "Hoi.")]),
    # A title and header lines before the first turn stay text; a header word is never a speaker.
    ("Gesprek 12 maart\n\nDatum: 12-03-2026\n\nAnna: Hallo daar.\n\nBob: Hoi.\n",
     [(None, "Gesprek 12 maart\n\nDatum: 12-03-2026"), ("Anna", "Hallo daar."), ("Bob", "Hoi.")]),
])
def test_speakers_who_speak_once_are_speakers(text, turns):
    assert [(t.speaker, text[t.start_char:t.end_char]) for t in parse_turns(text)] == turns


@pytest.mark.parametrize("text", [
    "Note: the meeting was held in Enschede. Anna and Bob talked about the fieldlab.\n",
    "Note: the meeting was held in Enschede.\nConclusion: we go on.\n",
    "Anna: Hallo daar, hoe gaat het?\n",  # one label is no convention: it reads like the "Note:" line
    "Note: the meeting was held in Enschede.\n\nIt went well; Bob: agreed.\n",
])
def test_prose_with_a_colon_is_not_split_into_turns(text):
    assert [(t.speaker, text[t.start_char:t.end_char]) for t in parse_turns(text)] == [(None, text.strip())]


def test_a_one_off_label_inside_a_paragraph_stays_speech():
    text = "Anna: Hallo daar.\n\nBob: We hebben twee punten.\nTwo: the floor slabs are good.\n"
    assert [t.speaker for t in parse_turns(text)] == ["Anna", "Bob"]


def test_a_teams_docx_transcript_has_its_speakers_and_times(tmp_path):
    """Teams' 'Download as .docx': a title block, then per turn a line 'Name   m:ss' and the words below it (in
    the same paragraph after a line break, or in the next one)."""
    import docx

    d = docx.Document()
    for line in ("Gas erop sessie 3-20261012_100035-Meeting Recording", "12 oktober 2026, 08:00", "45m 3s",
                 "Anna de Vries   0:03", "Goedemorgen allemaal, fijn dat jullie er zijn.",
                 "Bram Jansen   0:12", "Ik heb de warmtepomp in Hengelo vorige week afgesteld. Dat ging goed."):
        d.add_paragraph(line)
    p = d.add_paragraph("de Vries, Anna\t1:02:15")
    p.add_run().add_break()
    p.add_run("En hoe ging dat bij de klant?")
    f = tmp_path / "teams.docx"
    d.save(f)
    tr = read_transcript(f, TranscriptMeta(id="teams", kind="meeting"))
    spoken = [(t.speaker, t.t_start, tr.text[t.start_char:t.end_char]) for t in tr.turns if t.speaker]
    assert spoken == [("Anna de Vries", 3.0, "Goedemorgen allemaal, fijn dat jullie er zijn."),
                      ("Bram Jansen", 12.0, "Ik heb de warmtepomp in Hengelo vorige week afgesteld. Dat ging goed."),
                      ("de Vries, Anna", 3735.0, "En hoe ging dat bij de klant?")]


@pytest.mark.parametrize("text", [
    "Total runtime 1:45\n\nWe spoke about the heat pump for an hour.",
    "We begonnen om   9:30\nen stopten pas om twaalf uur, zo veel was er te bespreken.",
    "Het verslag.\n\n12:30   1:45\n\nNiemand sprak.",
])
def test_prose_ending_in_a_clock_time_is_not_a_speaker(text):
    assert all(t.speaker is None for t in parse_turns(text))


def test_an_older_teams_docx_with_cue_timings_has_speakers_and_no_timing_text(tmp_path):
    """Teams' .docx before 2022 (and subtitles pasted into Word): a timing line, the name alone, then the words;
    the same speaker's next cue continues the turn."""
    import docx

    d = docx.Document()
    for line in ("Transcript", "0:0:0.0 --> 0:0:3.780", "Anna de Vries", "Goedemorgen allemaal.",
                 "0:0:3.780 --> 0:0:8.120", "Anna de Vries", "Fijn dat jullie er zijn.",
                 "0:0:8.120 --> 0:0:12.500", "Bram Jansen", "Morgen. Ik heb de testopstelling meegenomen."):
        d.add_paragraph(line)
    f = tmp_path / "teams-old.docx"
    d.save(f)
    tr = read_transcript(f, TranscriptMeta(id="old", kind="meeting"))
    spoken = [(t.speaker, t.t_start, [tr.text[a:b] for a, b in t.blocks]) for t in tr.turns if t.speaker]
    assert spoken == [("Anna de Vries", 0.0, ["Goedemorgen allemaal.", "Fijn dat jullie er zijn."]),
                      ("Bram Jansen", 8.12, ["Morgen. Ik heb de testopstelling meegenomen."])]


def test_a_sentence_after_a_timing_line_is_speech_not_a_name():
    turns = parse_turns("0:0:0.0 --> 0:0:3.780\n\nWe begonnen op tijd.\n\nDaarna ging het mis.")
    assert [t.speaker for t in turns] == [None]

"""A bounded corpus of hostile and malformed inputs: the kinds an outside probe found crashing, hanging or
silently accepted, as recipes (a few of them are tens of megabytes, too large to keep as files).

Each case writes one folder: the transcript file(s), and a manifest or codebook where the case is about those.
`refused` is a regex the error message must match (and nothing may be stored); `None` means the input is valid,
if odd, and must be stored with every segment an exact span of the transcript.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
DOCX = REPO / "tests" / "fixtures" / "transcripts" / "nl_roles_interview.docx"
SMALL_CODEBOOK = REPO / "tests" / "fixtures" / "codebooks" / "small.yaml"
WORDS = ("de het een en van ik je dat die in is niet op te met voor maar ook zijn als er aan nog wat samen "
         "leren praktijk").split()


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # transcript | manifest | codebook
    build: Callable[[Path], None]  # writes the input into an empty folder
    refused: str | None  # regex for the message; None: accepted


def prose(n_chars: int, seed: int = 0) -> str:
    rnd = random.Random(seed)
    out, size, i = [], 0, 0
    while size < n_chars:
        w = rnd.choice(WORDS)
        if i % 11 == 10:
            w += "."
        out.append(w.capitalize() if i % 11 == 0 else w)
        size += len(w) + 1
        i += 1
    return " ".join(out)[:n_chars]


def file(name: str, data: bytes | str) -> Callable[[Path], None]:
    def build(folder: Path):
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return build


def lazy(name: str, make: Callable[[], bytes | str]) -> Callable[[Path], None]:
    """Like `file`, for data that takes time or memory to make: only when the case runs."""
    def build(folder: Path):
        file(name, make())(folder)
    return build


def sparse(name: str, size: int) -> Callable[[Path], None]:
    def build(folder: Path):
        with (folder / name).open("wb") as fh:
            fh.truncate(size)
    return build


def with_manifest(manifest_name: str, manifest: str, *files: tuple[str, str]) -> Callable[[Path], None]:
    def build(folder: Path):
        for name, text in files:
            (folder / name).write_text(text, encoding="utf-8")
        (folder / manifest_name).write_text(manifest, encoding="utf-8")
    return build


def docx_with(paragraphs: int = 0, padding_bytes: int = 0) -> Callable[[Path], None]:
    """The fixture .docx with extra paragraphs, or with a run of zeros (compresses to almost nothing)."""
    def build(folder: Path):
        buf = io.BytesIO()
        with zipfile.ZipFile(DOCX) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
            for m in src.infolist():
                data = src.read(m.filename)
                if m.filename == "word/document.xml":
                    text = data.decode("utf-8")
                    i = text.index("<w:body>") + len("<w:body>")
                    extra = "<w:p><w:r><w:t>x</w:t></w:r></w:p>" * paragraphs
                    if padding_bytes:
                        extra += "<w:p><w:r><w:t>" + "0" * padding_bytes + "</w:t></w:r></w:p>"
                    data = (text[:i] + extra + text[i:]).encode("utf-8")
                out.writestr(m, data)
        (folder / "t.docx").write_bytes(buf.getvalue())
    return build


ODT_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')


def odt_bytes(body: str, prolog: str = "", padding_bytes: int = 0) -> bytes:
    """A minimal .odt (what the reader needs: content.xml) with `body` inside office:text."""
    if padding_bytes:
        body += "<text:p>" + "0" * padding_bytes + "</text:p>"
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<office:document-content {ODT_NS}>'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED)
        z.writestr("content.xml", content.encode("utf-8"))
    return buf.getvalue()


def odt(body: str = "", prolog: str = "", padding_bytes: int = 0) -> Callable[[Path], None]:
    return lazy("t.odt", lambda: odt_bytes(body, prolog, padding_bytes))


XLSX_ROWS = [("speaker", "text"), ("I", "Hoe ging het?"), ("R", "We leerden veel van elkaar.")]


def xlsx_bytes(transform: Callable[[str, bytes], bytes] | None = None, rows=XLSX_ROWS, padding_bytes: int = 0) -> bytes:
    """A small workbook made by openpyxl, each part passed through `transform(name, data)`."""
    from openpyxl import Workbook

    wb = Workbook()
    for r in rows:
        wb.active.append(list(r))
    raw = io.BytesIO()
    wb.save(raw)
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for m in src.infolist():
            data = src.read(m.filename)
            out.writestr(m, transform(m.filename, data) if transform else data)
        if padding_bytes:
            out.writestr("xl/media/padding.bin", b"0" * padding_bytes)
    return buf.getvalue()


def _sheet(edit: Callable[[str], str]) -> Callable[[str, bytes], bytes]:
    def t(name: str, data: bytes) -> bytes:
        return edit(data.decode("utf-8")).encode("utf-8") if name == "xl/worksheets/sheet1.xml" else data
    return t


def _dimension_claims_whole_sheet(xml: str) -> str:
    import re

    xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
    xml = xml.replace('<row r="3"', '<row r="1048576"').replace('r="A3"', 'r="A1048576"').replace('r="B3"', 'r="B1048576"')
    far = '<c r="XFD1048576" t="inlineStr"><is><t>ver weg</t></is></c></row></sheetData>'
    return xml.replace("</row></sheetData>", far)


ENTITY_BOMB = ('<!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
               + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 9)) + "]>")


def codebook(transform: Callable[[str], str]) -> Callable[[Path], None]:
    def build(folder: Path):
        (folder / "codebook.yaml").write_text(transform(SMALL_CODEBOOK.read_text(encoding="utf-8")), encoding="utf-8")
    return build


def _first_code_gets(line: str) -> Callable[[str], str]:
    """Insert `line` (indented like a code's keys) under the first code of the small codebook."""
    def t(text: str) -> str:
        lines = text.split("\n")
        i = next(n for n, l in enumerate(lines) if l.lstrip().startswith("- id:") and "codes:" in lines[n - 1])
        indent = " " * (len(lines[i]) - len(lines[i].lstrip()) + 2)
        return "\n".join(lines[:i + 1] + [indent + line] + lines[i + 1:])
    return t


def _replace_top(key: str, value: str) -> Callable[[str], str]:
    def t(text: str) -> str:
        lines = text.split("\n")
        return "\n".join(f"{key}: {value}" if l.startswith(f"{key}:") else l for l in lines)
    return t


ALIAS_BOMB = "\n".join(['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
                       + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)])
SRT_NO_BLANKS = "\n".join(f"{i}\n00:00:{i:02d},000 --> 00:00:{i:02d},900\nZin nummer {i} van de spreker."
                          for i in range(1, 40))
VTT_NO_BLANKS = "WEBVTT\n\n" + "\n".join(f"00:00:{i:02d}.000 --> 00:00:{i:02d}.900\n<v Anna>Zin {i} hier."
                                         for i in range(1, 40))
rnd = random.Random(11)
RANDOM_BINARIES = [bytes(rnd.randrange(1, 256) for _ in range(n)) for n in (16, 64, 300, 4000)]
LABEL = r"no text found"

CASES: list[Case] = [
    # -- sizes and long turns -------------------------------------------------------------------------------
    Case("turn_of_1_5M_chars", "transcript", lazy("t.txt", lambda: "Interviewer: Vertel.\n\nR: " + prose(1_500_000)), None),
    Case("one_word_5MB", "transcript", lazy("t.txt", lambda: "a" * 5_000_000), None),
    Case("file_over_the_size_limit", "transcript", sparse("t.txt", 25 * 2**20), r"25\.0 MB.*up to 20 MB"),
    Case("jsonl_over_the_size_limit", "transcript", sparse("t.jsonl", 21 * 2**20), r"up to 20 MB"),
    Case("brackets_around_a_label", "transcript",
         lazy("t.txt", lambda: "[" * 100_000 + "Henk" + "]" * 100_000 + " hi."), None),
    Case("unclosed_parenthesis_run", "transcript", lazy("t.txt", lambda: "R: (" + "a" * 200_000 + " hoi daar."), None),
    Case("many_unclosed_voice_tags", "transcript",
         lazy("t.vtt", lambda: "WEBVTT\n\n00:00:01.000 --> 00:00:02.000\n" + "<v a" * 300_000 + "\n"), None),
    Case("long_label_like_line", "transcript", lazy("t.txt", lambda: "Henk " * 400_000 + "zegt iets."), None),
    # -- JSON lines -----------------------------------------------------------------------------------------
    Case("jsonl_100000_deep", "transcript",
         lazy("t.jsonl", lambda: '{"text": "hoi", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n"), r"nests more than"),
    Case("jsonl_5000_digit_speaker", "transcript",
         file("t.jsonl", '{"text": "Dit is een zin.", "speaker": ' + "7" * 5000 + "}\n"), None),
    Case("jsonl_5000_digit_text", "transcript", file("t.jsonl", '{"text": ' + "7" * 5000 + "}\n"), r"no 'text' string"),
    Case("jsonl_lone_surrogate", "transcript", file("t.jsonl", '{"text": "hoi \\ud800 daar"}\n'), r"surrogate"),
    Case("jsonl_lone_surrogate_speaker", "transcript", file("t.jsonl", '{"text": "hoi", "speaker": "\\udfff"}\n'),
         r"surrogate"),
    Case("jsonl_nested_speaker", "transcript", file("t.jsonl", '{"text": "hoi daar", "speaker": {"a": 1}}\n'),
         r"'speaker' must be a name"),
    Case("jsonl_not_an_object", "transcript", file("t.jsonl", "[1, 2, 3]\n"), r"no 'text' string"),
    Case("jsonl_huge_float", "transcript", file("t.jsonl", '{"text": "hoi daar", "speaker": 1e999999}\n'), None),
    # -- CSV ------------------------------------------------------------------------------------------------
    Case("csv_field_of_200k_chars", "transcript", lazy("t.csv", lambda: "text\n" + prose(200_000) + "\n"), None),
    Case("csv_field_over_the_limit", "transcript", lazy("t.csv", lambda: "text\n" + "a" * 1_100_000 + "\n"),
         r"not valid CSV"),
    Case("csv_unclosed_quote", "transcript", lazy("t.csv", lambda: 'text\n"' + "b" * 1_200_000), r"not valid CSV"),
    # -- binaries and encodings -----------------------------------------------------------------------------
    *[Case(f"random_binary_{len(b)}_bytes", "transcript", file("t.txt", b), r"binary|does not read as text|cannot decode")
      for b in RANDOM_BINARIES],
    Case("nul_after_4096_bytes", "transcript", file("t.txt", b"R: " + b"hallo " * 1000 + b"\x00" + b"daar"),
         r"binary file.*NUL byte at byte 6003"),
    Case("control_characters_only", "transcript", file("t.txt", bytes(range(1, 9)) * 20), r"binary"),
    Case("png_renamed_txt", "transcript", file("t.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4), r"binary"),
    Case("utf16_binary", "transcript", file("t.txt", b"\xff\xfe" + bytes(range(1, 31)) * 30), r"does not read as text in UTF-16"),
    # -- nothing to segment ---------------------------------------------------------------------------------
    Case("zero_width_spaces_only", "transcript", file("t.txt", "\u200b\u200b\u200b\n\u200b\u200c\ufeff\u2060"), LABEL),
    Case("punctuation_only", "transcript", file("t.txt", "... !!! ,,, ??? ---\n;;; ::: ()"), LABEL),
    Case("speaker_labels_only", "transcript", file("t.txt", "Interviewer:\nR:\nInterviewer:\nR:\n"), LABEL),
    Case("one_name_label_only", "transcript", file("t.txt", "Henk:\n"), LABEL),
    Case("bracket_label_only", "transcript", file("t.txt", "[Henk]\n\n[Marieke]\n"), LABEL),
    Case("stamps_only", "transcript", file("t.txt", "[00:01:02]\n[00:02:03]\n(00:12)\n"), LABEL),
    Case("fillers_only", "transcript", file("t.txt", "R: eh... uhm. Ja. Nou.\nI: Hm.\n"), LABEL),
    Case("jsonl_punctuation_rows", "transcript", file("t.jsonl", '{"text": "..."}\n{"text": "!?"}\n'), LABEL),
    Case("srt_music_only", "transcript", file("t.srt", "1\n00:00:01,000 --> 00:00:02,000\n[MUSIC]\n"), LABEL),
    # -- subtitle structure ---------------------------------------------------------------------------------
    Case("srt_without_blank_lines", "transcript", file("t.srt", SRT_NO_BLANKS), r"t\.srt:5: .*second timing line"),
    Case("vtt_without_blank_lines", "transcript", file("t.vtt", VTT_NO_BLANKS), r"second timing line"),
    Case("srt_arrow_in_text", "transcript", file("t.srt", "1\n00:00:01,000 --> 00:00:02,000\nA --> B\n"),
         r"second timing line"),
    # -- Word documents -------------------------------------------------------------------------------------
    Case("docx_60000_paragraphs", "transcript", docx_with(paragraphs=60_000), r"60,0\d\d paragraphs"),
    Case("docx_zip_bomb", "transcript", docx_with(padding_bytes=70 * 2**20), r"unpacks to"),
    Case("docx_truncated", "transcript", lazy("t.docx", lambda: DOCX.read_bytes()[:3000]), r"not a Word document|could not be read"),
    # -- OpenDocument text ----------------------------------------------------------------------------------
    Case("odt_zip_bomb", "transcript", odt("<text:p>R: Hallo daar.</text:p>", padding_bytes=70 * 2**20), r"unpacks to"),
    Case("odt_entity_bomb", "transcript", odt("<text:p>R: &lol8;</text:p>", prolog=ENTITY_BOMB), r"DOCTYPE"),
    Case("odt_1000_nested_spans", "transcript",
         odt("<text:p>R: " + "<text:span>" * 1000 + "diep" + "</text:span>" * 1000 + "</text:p>"), r"nests more than 100"),
    Case("odt_60000_paragraphs", "transcript", odt("<text:p>R: x</text:p>" * 60_000), r"over 50,000 paragraphs"),
    Case("odt_billion_spaces", "transcript",
         odt('<text:p>R: Hallo<text:s text:c="1000000000"/>daar, dit is een zin.</text:p>'), None),
    Case("odt_not_a_zip", "transcript", file("t.odt", b"R: Hallo daar.\n"), r"not an OpenDocument text"),
    # -- Excel workbooks ------------------------------------------------------------------------------------
    Case("xlsx_claims_16384_columns_and_a_million_rows", "transcript",
         lazy("t.xlsx", lambda: xlsx_bytes(_sheet(_dimension_claims_whole_sheet))), None),
    Case("xlsx_entity_bomb", "transcript",
         lazy("t.xlsx", lambda: xlsx_bytes(lambda n, d: ENTITY_BOMB.encode() + d if n == "xl/sharedStrings.xml"
                                           or n == "xl/worksheets/sheet1.xml" else d)), r"DOCTYPE"),
    Case("xlsx_zip_bomb", "transcript", lazy("t.xlsx", lambda: xlsx_bytes(padding_bytes=310 * 2**20)), r"unpacks to"),
    Case("xlsx_cell_over_the_limit", "transcript",
         lazy("t.xlsx", lambda: xlsx_bytes(_sheet(lambda x: x.replace("Hoe ging het?", "a" * 1_100_000)))),
         r"t\.xlsx:2: a cell holds 1,100,000 characters"),
    Case("xlsx_truncated", "transcript", lazy("t.xlsx", lambda: xlsx_bytes()[:2000]), r"spreadsheet could not be read"),
    # -- manifests ------------------------------------------------------------------------------------------
    Case("manifest_regex_as_speaker_label", "manifest",
         with_manifest("manifest.csv", "file,roles\nt.txt,(a+)+$=respondent;Henk.*=interviewer\n",
                       ("t.txt", "Henk.*: Hoe ging het?\n(a+)+$: " + "a" * 5000 + "! Goed.\nHenkie: nee.\n")), None),
    Case("manifest_label_of_5000_chars", "manifest",
         with_manifest("manifest.csv", "file,roles\nt.txt," + "A" * 5000 + "=respondent\n", ("t.txt", "R: Hoi daar.\n")),
         r"speaker label of 5000"),
    Case("manifest_500_labels", "manifest",
         with_manifest("manifest.csv", "file,roles\nt.txt," + ";".join(f"P{i}=respondent" for i in range(500)) + "\n",
                       ("t.txt", "P1: Hoi daar.\n")), r"500 speaker roles"),
    # -- manifests (YAML and CSV structure) -----------------------------------------------------------------
    Case("yaml_roles_number", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: t.txt\n    roles: {Henk: 5}\n",
                       ("t.txt", "Henk: Hallo daar.\nHenk: Nog iets.\n")), r"bad speaker role 'Henk=5'"),
    Case("yaml_python_tag", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: t.txt\n    community: !!python/object/apply:os.system [echo hi]\n",
                       ("t.txt", "R: Hallo daar.\n")), r"tag 'tag:yaml.org,2002:python/object/apply:os.system'"),
    Case("yaml_custom_tag", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: !include t.txt\n", ("t.txt", "R: Hallo.\n")),
         r"tag '!include'"),
    Case("yaml_5000_deep", "manifest",
         with_manifest("manifest.yaml", "transcripts: " + "[" * 5000 + "]" * 5000 + "\n", ("t.txt", "R: Hallo.\n")),
         r"nests more than 32"),
    Case("yaml_alias_bomb_in_field", "manifest",
         with_manifest("manifest.yaml", ALIAS_BOMB + "\ntranscripts:\n  - file: t.txt\n    community: *a9\n",
                       ("t.txt", "R: Hallo daar.\n")), r"manifest\.yaml:2: YAML alias '\*a0'"),
    Case("yaml_list_as_community", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: t.txt\n    community: [a, b]\n", ("t.txt", "R: Hoi.\n")),
         r"'community' must be a single value"),
    Case("yaml_duplicate_field", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: t.txt\n    id: a\n    id: b\n", ("t.txt", "R: Hoi.\n")),
         r"duplicate key 'id' \(first on line 3\)"),
    Case("yaml_huge_int_id", "manifest",
         with_manifest("manifest.yaml", "transcripts:\n  - file: t.txt\n    id: " + "9" * 5000 + "\n",
                       ("t.txt", "R: Hallo daar, dit is een zin.\n")), None),
    Case("manifest_parent_path", "manifest",
         with_manifest("manifest.csv", "file,community\n../../x.txt,a\n", ("t.txt", "R: Hoi.\n")), r"outside the manifest's folder"),
    Case("manifest_absolute_path", "manifest",
         with_manifest("manifest.csv", "file,community\n/etc/passwd,a\n", ("t.txt", "R: Hoi.\n")), r"outside the manifest's folder"),
    Case("manifest_duplicate_rows", "manifest",
         with_manifest("manifest.csv", "file,community\nt.txt,a\n./t.txt,b\n", ("t.txt", "R: Hoi daar.\n")),
         r"lists './t.txt' twice \(also on line 2\)"),
    Case("manifest_unknown_column", "manifest",
         with_manifest("manifest.csv", "file,communty\nt.txt,a\n", ("t.txt", "R: Hoi.\n")), r"unknown column\(s\) \['communty'\]"),
    Case("manifest_duplicate_column", "manifest",
         with_manifest("manifest.csv", "file,community,community\nt.txt,a,b\n", ("t.txt", "R: Hoi.\n")), r"appear twice"),
    Case("manifest_extra_cells", "manifest",
         with_manifest("manifest.csv", "file,community\nt.txt,a,b\n", ("t.txt", "R: Hoi.\n")), r"3 cells, the header 2"),
    Case("manifest_csv_field_too_long", "manifest",
         lazy("manifest.csv", lambda: "file,community\nt.txt," + "a" * 200_000 + "\n"), r"not valid CSV"),
    Case("manifest_binary", "manifest", file("manifest.csv", b"\x00\x01\x02" * 50), r"binary"),
    # -- codebooks ------------------------------------------------------------------------------------------
    Case("codebook_duplicate_top_key", "codebook", codebook(lambda t: t + "\nid: other\n"), r"duplicate key 'id'"),
    Case("codebook_own_parent", "codebook", codebook(_first_code_gets('parent: "trust"')), r"code trust is its own parent"),
    # small.yaml's trust_broken has parent trust; trust now names trust_broken
    Case("codebook_parent_cycle", "codebook", codebook(_first_code_gets('parent: "trust_broken"')),
         r"codes trust -> trust_broken -> trust are each other's parents \(a cycle\)"),
    Case("codebook_id_list", "codebook", codebook(_replace_top("id", "[a, b]")), r"'id' must be a single value"),
    Case("codebook_version_mapping", "codebook", codebook(_replace_top("version", "{a: 1}")),
         r"'version' must be a single value"),
    Case("codebook_alias_bomb_id", "codebook", codebook(lambda t: ALIAS_BOMB + "\n" + _replace_top("id", "*a9")(t)),
         r"alias"),
    Case("codebook_deep", "codebook", codebook(lambda t: t + "\ndescription: " + "[" * 5000 + "]" * 5000 + "\n"),
         r"nests more than"),
    Case("codebook_python_tag", "codebook", codebook(_replace_top("id", "!!python/name:os.system ''")), r"tag"),
    Case("codebook_list_key", "codebook", codebook(lambda t: t + "\n? [a, b]\n: c\n"), r"key must be plain text"),
    Case("codebook_huge_int_version", "codebook", codebook(_replace_top("version", "9" * 5000)), None),
    Case("codebook_binary", "codebook", file("codebook.yaml", bytes(range(256)) * 8), r"binary"),
]


"""Property-based fuzzing of every reader and the codebook loader (hypothesis).

The properties, for any input bytes: reading ends in a transcript (or codebook, or manifest) or in an
`LccodeError` -- never another exception -- within DEADLINE_MS; and every segment of a transcript that was
read, once stored in a workspace and read back, is exactly `text[start:end]` of the stored transcript.

Inputs are built from the pieces the parsers look for (speaker labels, timestamps, brackets, subtitle timing
lines, blank lines, quotes, JSON and YAML structure, control and invisible characters, broken UTF-8) mixed with
raw bytes, so most examples reach deep into a parser instead of failing at the first byte.

One CI run tries FUZZ_EXAMPLES examples per test (LCCODE_FUZZ_EXAMPLES overrides it, e.g. 5000 for a long
local run); the README states the total.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from lccode.errors import LccodeError  # noqa: E402

FUZZ_EXAMPLES = int(os.environ.get("LCCODE_FUZZ_EXAMPLES", "150"))
DEADLINE_MS = 5000
# In CI the examples are drawn from a fixed seed, so a run judges the change rather than the luck of the draw; local
# runs draw fresh ones each time (raise LCCODE_FUZZ_EXAMPLES to search longer) and are where new cases are found.
FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=DEADLINE_MS, database=None, print_blob=True,
                derandomize=os.environ.get("CI", "").lower() in {"1", "true", "yes"},
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
REPO = Path(__file__).resolve().parents[2]

# -- building blocks ----------------------------------------------------------------------------------------
# Characters a real transcript may hold (kept in most examples) and ones that should make a reader refuse
# the file (drawn rarely, so that most examples get past decoding into the parsers).
ODD_CHARS = ["\u200b", "\ufeff", "\u2060", "\x0b", "\x0c", "\x85", "\u2028", "\r", "\t", "é", "ë", "’", "…", "—",
             "🙂", "\U0010ffff"]
HOSTILE_CHARS = ["\x00", "\x07", "\x1a", "\x7f", "\ud800", "\udfff", "\x1b[31m"]
LABELS = ["Interviewer:", "I:", "R:", "Respondent:", "Henk:", "Jan van der Berg:", "[Henk]", "[Laughter]",
          "Henk (00:12:31):", "ANNA:", "Respondent (Henk):", "<v Anna>", "<v.loud Jeroen>", "Note:"]
STAMPS = ["[00:12:31]", "(00:12)", "#00:12:31.200#", "[1:02]", "[99:99:99]", "(00:12:31,5)"]
PUNCT = list("[](){}<>:;.,!?\"'#-=+@|*&") + ["-->", "...", "eh...", "(lacht)", "[inaudible]", "``"]
WORDS = ["de", "het", "samen", "leren", "Henk", "praktijk", "the", "learning", "approx.", "bijv.", "Dr.", "dat.",
         "1", "2024", "www.example.org/a-b", "=HYPERLINK(\"x\")", "@SUM(A1)", "a" * 80, "[" * 30, ")" * 30,
         "Wij", "brachten", "kennis", "in.", "Zo."]


def weighted(draw, *options):
    """One of (weight, strategy) pairs, drawn by weight."""
    total = sum(w for w, _ in options)
    pick = draw(st.integers(0, total - 1))
    for w, strategy in options:
        if pick < w:
            return draw(strategy)
        pick -= w
    raise AssertionError


@st.composite
def pieces(draw):
    return weighted(draw, (40, st.sampled_from(WORDS)), (10, st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)),
                    (12, st.sampled_from(LABELS)), (8, st.sampled_from(STAMPS)), (18, st.sampled_from(PUNCT)),
                    (8, st.sampled_from(ODD_CHARS)))


lines = st.lists(pieces(), min_size=1, max_size=14).map(" ".join)
text_docs = st.lists(st.one_of(lines, lines, lines, st.just(""), st.just("\r")), min_size=1, max_size=30).map("\n".join)


def encode(text: str, how: str) -> bytes:
    """Text as the bytes a file may hold: UTF-8 (lone surrogates as broken bytes), with BOM, UTF-16, cp1252."""
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    if how == "cp1252":
        return text.encode("cp1252", "replace")
    data = text.encode("utf-8", "surrogatepass")
    return b"\xef\xbb\xbf" + data if how == "bom" else data


encodings = st.sampled_from(["utf-8"] * 6 + ["bom", "utf-16", "cp1252"])
raw_bytes = st.binary(max_size=3000)


@st.composite
def text_files(draw, docs=text_docs):
    if draw(st.integers(0, 14)) == 0:
        return draw(raw_bytes)
    text = draw(docs)
    for _ in range(draw(st.sampled_from([0] * 7 + [1, 3]))):  # one file in eight gets characters to refuse
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(HOSTILE_CHARS)) + text[at:]
    return encode(text, draw(encodings))


def _timing(draw, sep: str) -> str:
    good = ["00:00:01", "00:01:02", "01:02:03", "00:00:00"] if sep == "," else ["00:00:01", "00:01:02", "1:02:03", "00:05"]
    bad = ["00:00", "99:59:59", "0:0:0", "x", "00:00:01.5"]

    def t():
        return weighted(draw, (60, st.sampled_from(good)), (1, st.sampled_from(bad)))
    ms = weighted(draw, (60, st.just(f"{sep}000")), (1, st.sampled_from([",5", ".5", "", f"{sep}9999"])))
    arrow = weighted(draw, (60, st.just(" --> ")), (1, st.sampled_from([" -> ", "-->", " --> --> "])))
    tail = draw(st.sampled_from(["", "", "", " align:start position:10%", "  "])) if sep == "." else ""
    start, end = sorted([t(), t()])
    return start + ms + arrow + end + f"{sep}900" + tail


# Cue text as a subtitle editor writes it: no timing arrow, not blank (a blank line ends the cue).
cue_lines = lines.map(lambda l: l.replace("-->", "->")).filter(lambda l: l.strip())


@st.composite
def subtitle_docs(draw, kind: str):
    sep = "." if kind == "vtt" else ","
    blocks = []
    if kind == "vtt" and draw(st.integers(0, 9)) > 0:
        blocks.append(draw(st.sampled_from(["WEBVTT", "WEBVTT - titel", "\ufeffWEBVTT", "WEBVTT\nNOTE x"])))
    for i in range(draw(st.integers(1, 8))):
        cue = []
        if draw(st.integers(0, 3)) > 0:
            cue.append(weighted(draw, (30, st.just(str(i + 1))), (1, st.sampled_from([f"intro-{i}", "NOTE", "STYLE"]))))
        if draw(st.integers(0, 20)) > 0:
            cue.append(_timing(draw, sep))
        cue.extend(weighted(draw, (20, cue_lines), (1, lines)) for _ in range(draw(st.integers(1, 3))))
        blocks.append("\n".join(cue))
    joiner = weighted(draw, (10, st.sampled_from(["\n\n", "\r\n\r\n", "\n\n\n"])), (1, st.just("\n")))
    return joiner.join(blocks)


@st.composite
def jsonl_docs(draw):
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | lines
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.sampled_from(["text", "speaker", "x"]) | st.text(max_size=5), inner,
                                            max_size=3), max_leaves=12)
    rows = []
    for _ in range(draw(st.integers(0, 8))):
        choice = draw(st.integers(0, 29))
        if choice < 26:
            row = {"text": draw(lines)}
            if draw(st.booleans()):
                row["speaker"] = draw(scalars)
            rows.append(json.dumps(row, ensure_ascii=draw(st.booleans())))
        elif choice < 28:
            rows.append(json.dumps(draw(values)))
        else:
            rows.append(draw(st.sampled_from(['{"text": "a"', '{"text": "\\ud800"}', '{"text": ' + "9" * 5000 + "}",
                                              "[" * 50 + "]" * 50, '{"text": "x", "speaker": [1]}', "NaN", "}"])))
    return "\n".join(rows)


@st.composite
def csv_docs(draw, header_pool=("text", "speaker", "x", "", "text"), key="text"):
    header = draw(st.lists(st.sampled_from(header_pool), min_size=0, max_size=4))
    if draw(st.integers(0, 4)) > 0:
        header = [key] + [h for h in header if h != key]
    rows = draw(st.lists(st.lists(lines | st.sampled_from(['"', '""', "a,b", "x\ny"]), max_size=5), max_size=8))
    if draw(st.booleans()):
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue()
    return "\n".join([",".join(header)] + [",".join(r) for r in rows])


DOCX = (REPO / "tests" / "fixtures" / "transcripts" / "nl_roles_interview.docx").read_bytes()


@st.composite
def docx_files(draw):
    """The fixture .docx with its paragraphs replaced (escaped text, raw XML, broken XML), or damaged bytes."""
    mode = draw(st.integers(0, 9))
    if mode == 0:
        data = bytearray(DOCX)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if mode == 1:
        return DOCX[: draw(st.integers(0, len(DOCX)))]
    from xml.sax.saxutils import escape

    paras = draw(st.lists(lines, max_size=12))
    body = "".join(f"<w:p><w:r><w:t xml:space=\"preserve\">{escape(p)}</w:t></w:r></w:p>" for p in paras)
    if mode == 3:  # a transcript table (ingest.tables): rows of cells holding labels, stamps, words, or nothing
        cell = st.one_of(lines, st.sampled_from(["", "Timespan", "Speaker", "Content", "0:00.0 - 0:07.5", "I", "R"]))
        rows = draw(st.lists(st.lists(cell, min_size=1, max_size=4), max_size=8))
        body = "<w:tbl>" + "".join("<w:tr>" + "".join(
            f"<w:tc><w:p><w:r><w:t xml:space=\"preserve\">{escape(c)}</w:t></w:r></w:p></w:tc>" for c in r) + "</w:tr>"
            for r in rows) + "</w:tbl>" + body
    if mode == 2:
        body += draw(st.sampled_from(["<w:p>", "</w:body>", "&bogus;", "<w:p><w:r><w:t>\x01</w:t></w:r></w:p>",
                                      "<!DOCTYPE x [<!ENTITY a \"aaaa\">]>"]))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(DOCX)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for m in src.infolist():
            data = src.read(m.filename)
            if m.filename == "word/document.xml":
                text = data.decode("utf-8")
                a, b = text.index("<w:body>") + len("<w:body>"), text.index("<w:sectPr")
                data = (text[:a] + body + text[b:]).encode("utf-8", "surrogatepass")
            out.writestr(m, data)
    return buf.getvalue()


ODT_PIECES = ['<text:s text:c="3"/>', '<text:s text:c="99999999999"/>', '<text:s text:c="-1"/>', '<text:s/>',
              "<text:tab/>", "<text:line-break/>", "<text:span>", "</text:span>", '<text:a xlink:href="x">link</text:a>',
              "<!-- memo -->", "<?pi x?>", "<text:note><text:note-body><text:p>voetnoot</text:p></text:note-body></text:note>"]


def _xml_chars(text: str) -> str:
    """The text without the characters XML 1.0 cannot hold (most examples; the rest test the refusal)."""
    import re

    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]", "", text)


@st.composite
def odt_files(draw):
    """A minimal .odt with paragraphs and headings of escaped text and ODF inline elements (spaces, tabs, line
    breaks, spans), or broken XML, a DOCTYPE, damaged or truncated bytes."""
    from xml.sax.saxutils import escape

    from tests.hostile.corpus import odt_bytes

    body = ""
    for _ in range(draw(st.integers(0, 10))):
        tag = draw(st.sampled_from(["text:p", "text:p", "text:h", "text:list-item"]))
        inner = "".join(weighted(draw, (6, lines.map(_xml_chars).map(escape)), (1, lines.map(escape)),
                                 (3, st.sampled_from(ODT_PIECES)))
                        for _ in range(draw(st.integers(0, 5))))
        if inner.count("<text:span>") != inner.count("</text:span>"):  # balanced unless broken on purpose below
            inner = inner.replace("<text:span>", "").replace("</text:span>", "")
        body += (f"<text:list><text:list-item><text:p>{inner}</text:p></text:list-item></text:list>"
                 if tag == "text:list-item" else f"<{tag}>{inner}</{tag}>")
    mode = draw(st.integers(0, 9))
    prolog = ""
    if mode == 0:
        body += draw(st.sampled_from(["<text:p>", "</office:text>", "&bogus;", "<text:p>\x01</text:p>",
                                      "<text:span>" * 300 + "x" + "</text:span>" * 300]))
    elif mode == 1:
        prolog = '<!DOCTYPE x [<!ENTITY a "aaaa">]>'
    data = odt_bytes(body.replace("<text:a ", '<text:a xmlns:xlink="http://www.w3.org/1999/xlink" '), prolog)
    if mode == 2:
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 20))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if mode == 3:
        return data[: draw(st.integers(0, len(data)))]
    return data


# -- the properties ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A workspace that keeps every transcript read, and a scratch folder for the input files."""
    from lccode.segment import Segmenter
    from lccode.workspace import Workspace

    root = tmp_path_factory.mktemp("fuzz")
    ws = Workspace.create(root / "ws")
    counter = itertools.count()
    yield ws, Segmenter(), root, counter
    ws.close()


def check_transcript(store, suffix: str, data: bytes) -> None:
    """Read, segment and store `data` as a `suffix` file: an LccodeError, or stored segments with exact spans."""
    from lccode.ingest import read_transcript
    from lccode.records import TranscriptMeta

    ws, segmenter, root, counter = store
    n = next(counter)
    path = root / f"in{suffix}"
    path.write_bytes(data)
    try:
        tr = read_transcript(path, TranscriptMeta(id=f"t{n}"))
        segments = segmenter.segment(tr)
    except LccodeError as exc:
        assert exc.render().strip()
        event("refused: " + exc.problems[0].message[:25])  # --hypothesis-show-statistics shows the mix
        return
    event("stored" if segments else "read, no segments")
    for s in segments:
        assert tr.text[s.start_char:s.end_char] == s.text
    ws.add_transcript(tr, segments)
    stored = ws.transcript_text(tr.meta.id)
    assert stored == tr.text
    for s in ws.segments(transcript=tr.meta.id):
        assert stored[s.start_char:s.end_char] == s.text and s.text.strip()


@FUZZ
@given(data=text_files())
def test_fuzz_txt(store, data):
    check_transcript(store, ".txt", data)


@FUZZ
@given(data=text_files(st.lists(lines, max_size=30).map("\n\n".join)))
def test_fuzz_md_paragraphs(store, data):
    check_transcript(store, ".md", data)


@FUZZ
@given(data=text_files(subtitle_docs("vtt")))
def test_fuzz_vtt(store, data):
    check_transcript(store, ".vtt", data)


@FUZZ
@given(data=text_files(subtitle_docs("srt")))
def test_fuzz_srt(store, data):
    check_transcript(store, ".srt", data)


@FUZZ
@given(data=text_files(jsonl_docs()))
def test_fuzz_jsonl(store, data):
    check_transcript(store, ".jsonl", data)


@FUZZ
@given(data=text_files(csv_docs()))
def test_fuzz_csv(store, data):
    check_transcript(store, ".csv", data)


@FUZZ
@given(data=docx_files() | raw_bytes)
def test_fuzz_docx(store, data):
    check_transcript(store, ".docx", data)


@FUZZ
@given(data=odt_files() | raw_bytes)
def test_fuzz_odt(store, data):
    check_transcript(store, ".odt", data)


RTF_PIECES = [r"\par ", r"\par\par ", r"{\b ", "}", "{", r"\'e9", r"\'zz", r"\u8364?", r"\u-3913?",
              r"\u99999999999 ", r"{\*\generator x;}", r"\tab ", r"\line ", "\\", r"{\fonttbl{\f0 Arial;}}",
              r"\bin5 abcde", r"#00:00:05-1#"]


@st.composite
def rtf_files(draw):
    """RTF as f4transkript and word processors write it: a header, words and labels among control words."""
    parts = draw(st.lists(st.one_of(lines, st.sampled_from(RTF_PIECES)), max_size=30))
    head = weighted(draw, (8, st.just("{\\rtf1\\ansi\\ansicpg1252 ")),
                    (1, st.sampled_from(["", "{\\rtf1\\ansicpg99999 ", "{\\rtf", "I: "])))
    return encode(head + " ".join(parts) + "}", draw(encodings))


@FUZZ
@given(data=rtf_files() | raw_bytes)
def test_fuzz_rtf(store, data):
    check_transcript(store, ".rtf", data)


MANIFEST_FIELDS = ["file", "id", "community", "level", "kind", "date", "language", "roles", "bogus", ""]
manifest_values = (st.sampled_from(["t.txt", "./t.txt", "../t.txt", "/etc/passwd", "sub/../t.txt", "micro",
                                    "meeting", "nl", "auto", "2026-03-12", "2026-13-45", "Henk=respondent;I=interviewer",
                                    "Henk=5", "", "null", "~", "9" * 50]) | lines)


@st.composite
def yaml_manifests(draw):
    import yaml

    field_values = {"file": st.sampled_from(["t.txt", "./t.txt", "../t.txt", "/etc/passwd", "sub/../t.txt", "u.txt"]),
                    "level": st.sampled_from(["micro", "fieldlab", "x", ""]), "kind": st.sampled_from(["meeting", "x"]),
                    "language": st.sampled_from(["nl", "en", "auto", "fr"]),
                    "date": st.sampled_from(["2026-03-12", "2026-13-45", "", "12-03-2026"]),
                    "roles": st.sampled_from(["Henk=respondent;I=interviewer", "Henk=5", ""])
                    | st.dictionaries(st.sampled_from(["Henk", "I", "5"]), st.sampled_from(["respondent", "x", "5"]),
                                      max_size=2)}
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        entry = {"file": draw(field_values["file"])}
        for key in draw(st.lists(st.sampled_from(MANIFEST_FIELDS), max_size=4)):
            strategy = field_values.get(key, manifest_values)
            entry[key] = weighted(draw, (8, strategy), (1, st.lists(manifest_values, max_size=2)))
        entries.append(entry)
    if draw(st.integers(0, 5)) > 0:
        doc = yaml.safe_dump({"transcripts": entries}, allow_unicode=True)
    else:
        doc = yaml.safe_dump(draw(st.one_of(st.none(), st.lists(manifest_values),
                                            st.dictionaries(st.text(max_size=5), manifest_values))))
    extra = weighted(draw, (8, st.just("")), (1, st.sampled_from([
        "\nx: &a [1, 2]\ny: *a\n", "\n  - file: !!python/object:os.system t\n", "\ntranscripts: []\n",
        "\n" + "[" * 40 + "]" * 40, "\n\t- bad", "\n? [a]\n: b\n"])))
    return doc + extra


@FUZZ
@given(kind=st.sampled_from(["csv", "yaml"]), data=st.data())
def test_fuzz_manifest(tmp_path_factory, kind, data):
    from lccode.ingest.manifest import load_manifest

    folder = tmp_path_factory.mktemp("m")
    (folder / "t.txt").write_text("R: Hallo daar.\n", encoding="utf-8")
    if kind == "csv":
        text = data.draw(csv_docs(tuple(MANIFEST_FIELDS), key="file"))
    else:
        text = data.draw(yaml_manifests())
    how = data.draw(st.sampled_from(["utf-8"] * 6 + ["bom", "utf-16", "raw"]))
    body = data.draw(raw_bytes) if how == "raw" else encode(text, how)
    path = folder / f"manifest.{kind}"
    path.write_bytes(body)
    try:
        metas = load_manifest(path)
    except LccodeError as exc:
        assert exc.render().strip()
        event("refused: " + exc.problems[0].message[:25])
        return
    event("loaded")
    for fname, meta in metas.items():  # what is accepted names files inside the folder, with text metadata
        assert (folder / fname).resolve().parent == folder.resolve() or folder.resolve() in (folder / fname).resolve().parents
        assert all(isinstance(v, str) for v in (meta.id, meta.community, meta.kind, meta.language))


SMALL_CODEBOOK = (REPO / "tests" / "fixtures" / "codebooks" / "small.yaml").read_text(encoding="utf-8")
YAML_SNIPPETS = ["[a, b]", "{a: 1}", "*x", "&x 1", "!!python/object:os.system x", "!custom 1", '"#12345G"', "''",
                 "null", "~", "9" * 400, "trust", "trust_broken", "product", "\"\\ud800\"", "[" * 40 + "]" * 40, "|-\n  x"]


@st.composite
def codebook_texts(draw):
    """The small codebook with lines deleted, duplicated or given another value; or any YAML."""
    if draw(st.integers(0, 7)) == 0:
        return draw(text_docs)
    lines_ = SMALL_CODEBOOK.split("\n")
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(lines_) - 1))
        op = draw(st.integers(0, 3))
        if op == 0:
            del lines_[i]
        elif op == 1:
            lines_.insert(i, lines_[i])
        elif op == 2 and ":" in lines_[i]:
            key = lines_[i].split(":", 1)[0]
            lines_[i] = f"{key}: {draw(st.sampled_from(YAML_SNIPPETS) | lines)}"
        else:
            indent = " " * (len(lines_[i]) - len(lines_[i].lstrip()))
            lines_.insert(i + 1, indent + draw(st.sampled_from(["parent: trust", "parent: trust_broken",
                                                                "parent: product", "id: x", "color: \"#FFFFFF\""])))
    return "\n".join(lines_)


@FUZZ
@given(text=codebook_texts(), how=st.sampled_from(["utf-8", "utf-8", "bom", "utf-16", "cp1252"]))
def test_fuzz_codebook(tmp_path_factory, text, how):
    from lccode.codebook import load_codebook

    path = tmp_path_factory.mktemp("cb") / "codebook.yaml"
    path.write_bytes(encode(text, how))
    try:
        cb = load_codebook(path)
    except LccodeError as exc:
        assert exc.render().strip()
        event("refused: " + exc.problems[0].message[:25])
        return
    event("loaded")
    # what loads is usable: scalar id and version, parents that exist and end at a top-level code
    assert isinstance(cb.id, str) and isinstance(cb.version, str) and "Node" not in cb.ref
    ids = set(cb.code_ids)
    for c in cb.codes:
        seen, node = set(), c
        while node.parent:
            assert node.parent in ids and node.id not in seen
            seen.add(node.id)
            node = cb.code(node.parent)


labelled_rows = st.fixed_dictionaries(
    {"text": lines, "codes": st.lists(st.sampled_from(["trust", "product", "x"]) | st.integers(), max_size=2)},
    optional={"id": st.integers() | lines, "lang": st.none() | lines}).map(json.dumps)


@FUZZ
@given(data=text_files(jsonl_docs()) | text_files(st.lists(labelled_rows, max_size=6).map("\n".join)))
def test_fuzz_labelled_data(tmp_path_factory, data):
    """Training and gold data (`lccode train`/`evaluate`): the same promise as the transcript readers."""
    from lccode.data import load_jsonl

    path = tmp_path_factory.mktemp("d") / "gold.jsonl"
    path.write_bytes(data)
    try:
        examples = load_jsonl(path, ["trust", "product"])
    except LccodeError as exc:
        assert exc.render().strip()
        event("refused: " + exc.problems[0].message[:25])
        return
    event("loaded")
    assert all(e.text.strip() and set(e.codes) <= {"trust", "product"} for e in examples)
    assert all(v is None or isinstance(v, str) for e in examples for v in (e.id, e.lang, e.community, e.speaker))

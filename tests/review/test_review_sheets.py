"""The spreadsheet path: export the queue, fill it in like an analyst would, import it back."""

import csv

import pytest

from lccode.errors import InputError
from lccode.review.sheet_import import import_sheet
from lccode.review.sheets import COLUMNS, export_queue
from tests.review.review_data import MODEL_ID, SEGMENTS, key_of

TOP = "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt."


def load_xlsx(path):
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return wb, [[c.value for c in row] for row in wb["review"].iter_rows()]


def save_rows(path, rows):
    """Write edited rows back into the review sheet, as Excel would."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    sheet = wb["review"]
    for i, row in enumerate(rows, 1):
        for j, value in enumerate(row, 1):
            sheet.cell(row=i, column=j, value=value)
    wb.save(path)


def decisions(ws):
    return ws.decisions()


def test_xlsx_export_holds_queue_codebook_and_provenance(coded_ws, tmp_path):
    out = export_queue(coded_ws, tmp_path / "queue.xlsx", analyst="Anna")
    assert out["rows"] == len(SEGMENTS) and out["model_id"] == MODEL_ID
    wb, rows = load_xlsx(tmp_path / "queue.xlsx")
    assert rows[0] == COLUMNS and wb.sheetnames == ["review", "codebook", "about"]
    col = {name: i for i, name in enumerate(COLUMNS)}
    first = rows[1]
    assert first[col["text"]] == TOP and first[col["model_codes"]] == "bd_parent_support"
    assert first[col["final_codes"]] == "bd_parent_support" and first[col["decision"]] is None
    assert first[col["before"]] == "Wij brachten de praktijkkennis in en kregen er nieuwe klanten voor terug."
    assert first[col["after"]] == "Dank je wel voor het gesprek."
    assert "bd_parent_support 0.51" in first[col["probabilities"]]
    assert first[col["time"]] == "00:00:36" and first[col["analyst"]] == "Anna"
    assert [r[col["uncertainty"]] for r in rows[1:]] == sorted((r[col["uncertainty"]] for r in rows[1:]), reverse=True)
    codebook = [[c.value for c in row] for row in wb["codebook"].iter_rows()]
    assert len(codebook) == 1 + len(coded_ws.codebook().codes) and codebook[1][0] == "sf_interdependency"
    about = dict((r[0].value, r[1].value) for r in wb["about"].iter_rows() if len(r) > 1 and r[1].value)
    assert about["codebook"] == coded_ws.codebook().ref and about["model"].startswith(MODEL_ID)
    assert about["model hash"] == "f" * 64 and about["written by"].startswith("lccode ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.xlsx", "ws"]  # no temporary file left behind


def test_export_never_overwrites_by_accident(coded_ws, tmp_path):
    path = tmp_path / "queue.xlsx"
    path.write_bytes(b"analyst work")
    with pytest.raises(InputError, match="already exists"):
        export_queue(coded_ws, path)
    assert path.read_bytes() == b"analyst work"
    export_queue(coded_ws, path, overwrite=True, limit=2)
    assert len(load_xlsx(path)[1]) == 3
    with pytest.raises(InputError, match=r"\.xlsx"):
        export_queue(coded_ws, tmp_path / "queue.ods")


def test_round_trip_xlsx(coded_ws, tmp_path):
    path = tmp_path / "queue.xlsx"
    export_queue(coded_ws, path)
    _, rows = load_xlsx(path)
    col = {name: i for i, name in enumerate(COLUMNS)}
    rows[1][col["decision"]] = "coded"                                   # accept the proposal
    rows[2][col["final_codes"]] = "Connection to daily practice"          # a name instead of an id
    rows[2][col["decision"]] = "Coded"
    rows[3][col["final_codes"]] = ""                                      # no code applies
    rows[3][col["decision"]] = "coded"
    rows[4][col["decision"]] = "unsure"
    for r in rows[1:]:
        r[col["analyst"]] = r[col["analyst"]] or "Sanne"
    save_rows(path, rows)
    out = import_sheet(coded_ws, path)
    assert out == {"rows": len(SEGMENTS), "imported": 4, "would_import": 4, "unchanged": 0,
                   "not_reviewed": len(SEGMENTS) - 4, "dry_run": False}
    got = {d.segment_text: (d.analyst, d.status, list(d.codes), d.source, d.model_id)
           for d in decisions(coded_ws)}
    assert got[TOP] == ("Sanne", "coded", ["bd_parent_support"], "sheet", MODEL_ID)
    assert got[rows[2][col["text"]]][2] == ["sf_practice_link"]
    assert got[rows[3][col["text"]]][2] == []
    assert got[rows[4][col["text"]]][1] == "unsure"
    proposal = decisions(coded_ws)[0].proposal
    assert proposal["bd_parent_support"] == pytest.approx(0.51)
    # importing the same sheet again adds nothing
    again = import_sheet(coded_ws, path)
    assert again["imported"] == 0 and again["unchanged"] == 4 and len(decisions(coded_ws)) == 4


def test_all_problems_reported_with_rows_and_nothing_imported(coded_ws, tmp_path):
    path = tmp_path / "queue.xlsx"
    export_queue(coded_ws, path)
    _, rows = load_xlsx(path)
    col = {name: i for i, name in enumerate(COLUMNS)}
    rows[1][col["decision"]] = "coded"                                    # fine on its own
    rows[2][col["final_codes"]] = "sf_reciprocty, out_learning"           # typo
    rows[2][col["decision"]] = "coded"
    rows[3][col["decision"]] = "done"                                      # not a decision word
    rows[4][col["final_codes"]] = "sf_reciprocity"                         # changed, but no decision
    rows[5][col["segment_id"]] = "nl-gaserop-test#0000000000"              # edited id
    rows[5][col["decision"]] = "coded"
    save_rows(path, rows)
    with pytest.raises(InputError) as e:
        import_sheet(coded_ws, path, analyst="Sanne")
    msg = e.value.render()
    assert f"{path}:3 (field 'final_codes'): unknown code 'sf_reciprocty'" in msg and "did you mean 'sf_reciprocity'" in msg
    assert f"{path}:4 (field 'decision'): unknown decision 'done'" in msg
    assert f"{path}:5 (field 'decision'): final_codes were changed but decision is empty" in msg
    assert f"{path}:6 (field 'segment_id'): no segment 'nl-gaserop-test#0000000000'" in msg
    assert "nothing was imported" in msg
    assert decisions(coded_ws) == []


def test_analyst_required_and_duplicates_refused(coded_ws, tmp_path):
    path = tmp_path / "queue.csv"
    export_queue(coded_ws, path, limit=2)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    rows[0]["decision"] = rows[1]["decision"] = "coded"
    rows.append(dict(rows[0]))
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(InputError) as e:
        import_sheet(coded_ws, path)
    assert msg_count(e, "no analyst") == 3
    with pytest.raises(InputError, match=r":4 \(field 'segment_id'\): segment already decided by Anna on row 2"):
        import_sheet(coded_ws, path, analyst="Anna")
    assert decisions(coded_ws) == []


def msg_count(e, text):
    return e.value.render().count(text)


def test_csv_saved_by_dutch_excel_with_semicolons(coded_ws, tmp_path):
    path = tmp_path / "queue.csv"
    export_queue(coded_ws, path, limit=3)
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["text"] for r in rows][0] == TOP
    rows[0]["decision"], rows[0]["final_codes"] = "coded", "bd_parent_support; bd_time_pressure"
    rows[0]["analyst"] = "Sanne"
    data = ";".join(COLUMNS) + "\r\n" + "\r\n".join(";".join(f'"{r[c]}"' for c in COLUMNS) for r in rows)
    path.write_bytes(data.encode("cp1252"))
    out = import_sheet(coded_ws, path)
    assert out["imported"] == 1
    [d] = decisions(coded_ws)
    assert list(d.codes) == ["bd_parent_support", "bd_time_pressure"] and d.segment_key == key_of(coded_ws, TOP)


def test_dry_run_stores_nothing(coded_ws, tmp_path):
    path = tmp_path / "q.xlsx"
    export_queue(coded_ws, path, limit=1)
    _, rows = load_xlsx(path)
    rows[1][COLUMNS.index("decision")] = "coded"
    save_rows(path, rows)
    assert import_sheet(coded_ws, path, analyst="Sanne", dry_run=True)["would_import"] == 1
    assert decisions(coded_ws) == []


def test_unreadable_sheets(coded_ws, tmp_path):
    bad = tmp_path / "renamed.csv"
    bad.write_text("id,codes\nx,y\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"missing column\(s\) \['segment_id', 'final_codes', 'decision'\]"):
        import_sheet(coded_ws, bad)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(InputError, match="spreadsheet could not be read"):
        import_sheet(coded_ws, broken)
    with pytest.raises(InputError, match="file not found"):
        import_sheet(coded_ws, tmp_path / "missing.xlsx")


def test_a_failed_export_leaves_the_old_file_and_no_temporary(coded_ws, tmp_path, monkeypatch):
    import lccode.review.sheets as sheets

    path = tmp_path / "queue.xlsx"
    export_queue(coded_ws, path, limit=1)
    before = path.read_bytes()

    def crash(tmp, *args):
        tmp.write_bytes(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(sheets, "_write_xlsx", crash)
    with pytest.raises(OSError):
        export_queue(coded_ws, path, overwrite=True)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["queue.xlsx", "ws"]


def _damaged_sheet(path, edit):
    """A review sheet (header and one filled-in row) whose sheet XML `edit` changes, as a broken file would."""
    import io
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "review"
    wb.active.append(["segment_id", "final_codes", "decision", "analyst"])
    wb.active.append(["x", "", "coded", "Sanne"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w") as dst:
        for m in src.infolist():
            data = src.read(m.filename)
            dst.writestr(m, edit(data) if m.filename == "xl/worksheets/sheet1.xml" else data)
    path.write_bytes(out.getvalue())
    return path


@pytest.mark.parametrize("edit, message", [
    (lambda x: x[:-40], r"spreadsheet could not be read \(ParseError\)"),  # cut short
    (lambda x: x.replace(b"</sheetData>", b'<row r="3"><c r="A3" t="n"><v>abc</v></c></row></sheetData>'),
     r"spreadsheet could not be read \(ValueError\)"),  # a number cell that is not a number
    (lambda x: b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + x, r"declares a DOCTYPE"),
    (lambda x: x.replace(b"</sheetData>", b'<row r="99999999999"><c r="A99999999999" t="inlineStr"><is><t>x</t>'
                                          b"</is></c></row></sheetData>"), r"s\.xlsx:1048577: .*past row 1,048,576"),
])
def test_damaged_xlsx_sheets_are_one_message_and_import_nothing(coded_ws, tmp_path, edit, message):
    """These failed with a traceback while the sheet was read (openpyxl reads a sheet lazily), or never ended."""
    import time

    path = _damaged_sheet(tmp_path / "s.xlsx", edit)
    t0 = time.perf_counter()
    with pytest.raises(InputError, match=message) as info:
        import_sheet(coded_ws, path, analyst="Sanne")
    assert time.perf_counter() - t0 < 30
    assert str(path) in info.value.render() and info.value.problems[0].fix
    assert decisions(coded_ws) == []


def test_xlsx_sheet_keeps_spreadsheet_row_numbers_across_empty_rows(coded_ws, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "review"
    wb.active.append(["segment_id", "final_codes", "decision", "analyst"])
    wb.active.cell(row=5, column=1, value="no-such-segment")
    wb.active.cell(row=5, column=3, value="coded")
    wb.active.cell(row=5, column=4, value="Sanne")
    wb.save(tmp_path / "s.xlsx")
    with pytest.raises(InputError) as info:
        import_sheet(coded_ws, tmp_path / "s.xlsx")
    assert info.value.problems[0].line == 5 and info.value.problems[0].field == "segment_id"

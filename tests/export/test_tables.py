"""XLSX, CSV and JSONL exports, read back."""

from __future__ import annotations

import csv
import json

import pytest

from lccode.errors import InputError
from lccode.export.tables import write_csv, write_jsonl, write_xlsx
from tests.export.export_data import make_workspace


def _rows(sheet):
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


def test_xlsx_sheets_excerpts_and_provenance(ws, tmp_path):
    from openpyxl import load_workbook

    path = write_xlsx(ws, tmp_path / "out" / "coded.xlsx", "en")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Coded excerpts", "Codes by group", "Categories by group", "Community x code",
                             "Co-occurrence", "Exemplar quotes", "Codebook", "Provenance"]
    rows = _rows(wb["Coded excerpts"])
    assert len(rows) == 9  # segment x code pairs after people's decisions
    joint = next(r for r in rows if r["Code id"] == "out_joint_practice")
    assert joint["Decided by"] == "analyst" and joint["Reviewed by"] == "ann"
    assert joint["Model probability"] == pytest.approx(0.044)
    assert joint["Code"] == "Sustainable joint practice" and joint["Category"] == "Outcomes"
    assert joint["Community"] == "alpha" and joint["Speaker"] == "Henk" and joint["Start time"] == "00:03:00"
    assert not any(r["Code id"] == "bd_decision_authority" for r in rows)
    for r in rows:  # offsets point at the text in the stored transcript
        assert ws.transcript_text(r["Transcript"])[r["Start (character)"]:r["End (character)"]] == r["Text"]
    prov = {r["Item"]: r["Value"] for r in _rows(wb["Provenance"])}
    assert prov["Model"] == "lc-test@0123456789ab"
    assert prov["Model hash (SHA-256)"] == "ab" * 32
    assert prov["Codebook hash (SHA-256)"] == ws.codebook().hash
    assert prov["Share reviewed"] == "27.3%"
    assert prov["lccode version"] == "0.1.0"
    assert prov["Model on its dev set: macro-F1"] == "0.644"


def test_xlsx_summary_sheets_in_dutch(ws, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(write_xlsx(ws, tmp_path / "coded.xlsx", "nl"))
    assert wb.sheetnames[0] == "Gecodeerde fragmenten"
    codes = _rows(wb["Codes per groep"])
    row = next(r for r in codes if r["Uitsplitsing"] == "Hele corpus" and r["Code-id"] == "out_learning")
    assert (row["Gecodeerde fragmenten"], row["Fragmenten in groep"], row["Transcripten met code"]) == (3, 11, 3)
    assert row["Aandeel fragmenten"] == pytest.approx(3 / 11)
    assert row["Code"] == "Duurzame leeropbrengsten"
    sheet = wb["Codes per groep"]
    col = [c.value for c in sheet[1]].index("Aandeel fragmenten") + 1
    assert sheet.cell(2, col).number_format == "0.0%"
    role = next(r for r in codes if r["Uitsplitsing"] == "Rol spreker" and r["Groep"] == "deelnemer"
                and r["Code-id"] == "out_learning")
    assert (role["Gecodeerde fragmenten"], role["Beoordeelde fragmenten"]) == (1, 1)
    matrix = {r["Code-id"]: r for r in _rows(wb["Community x code"])}
    assert (matrix["out_learning"]["alpha"], matrix["out_learning"]["beta"], matrix["out_learning"]["Hele corpus"]) == (2, 1, 3)
    cooc = _rows(wb["Samen voorkomen"])
    assert {r["Eenheid"] for r in cooc} == {"fragment", "spreekbeurt"}
    ex = _rows(wb["Voorbeeldcitaten"])
    first = next(r for r in ex if r["Community"] == "alpha" and r["Code-id"] == "out_learning")
    assert first["Rang"] == 1 and first["Besloten door"] == "analist"


def test_formula_like_text_stays_text(tmp_path):
    from openpyxl import load_workbook

    corpus = [("tx", dict(community="c", level="micro", kind="interview", language="nl", roles={}), [
        ("R", [("=SUM(A1:A9) zeiden we dan altijd, als grap over de begroting.", {"bd_time_pressure": 0.8})])])]
    ws, _ = make_workspace(tmp_path / "w", corpus, [])
    wb = load_workbook(write_xlsx(ws, tmp_path / "x.xlsx"))
    sheet = wb["Coded excerpts"]
    cell = sheet.cell(2, [c.value for c in sheet[1]].index("Text") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=SUM(A1:A9) zeiden")


def test_csv_folder_one_file_per_table(ws, tmp_path):
    paths = write_csv(ws, tmp_path / "csv", "nl")
    assert sorted(p.name for p in paths) == sorted(["excerpts.csv", "codes.csv", "categories.csv", "matrix.csv",
                                                    "cooccurrence.csv", "exemplars.csv", "codebook.csv", "provenance.csv"])
    raw = (tmp_path / "csv" / "excerpts.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.DictReader((tmp_path / "csv" / "excerpts.csv").open(encoding="utf-8-sig", newline="")))
    assert len(rows) == 9 and rows[0]["segment_key"] == ws.keys[("t1", 1)]
    # The same column names as the JSONL export, whatever the language of the values.
    lines = [json.loads(x) for x in write_jsonl(ws, tmp_path / "x.jsonl").read_text(encoding="utf-8").splitlines()]
    shared = {"segment_key", "transcript", "community", "level", "speaker", "start_char", "end_char", "code_id",
              "probability", "source", "text"}
    assert shared <= set(rows[0]) and shared <= set(lines[0])
    assert [(r["transcript"], r["start_char"], r["code_id"]) for r in rows] == \
        [(r["transcript"], str(r["start_char"]), r["code_id"]) for r in lines]
    cats = list(csv.DictReader((tmp_path / "csv" / "categories.csv").open(encoding="utf-8-sig", newline="")))
    outcome = next(r for r in cats if r["dimension"] == "Hele corpus" and r["code_id"] == "outcome")
    assert outcome["segments"] == "4" and float(outcome["share_reviewed"]) == 0.5


def test_jsonl_lines_carry_provenance_and_exact_offsets(ws, tmp_path):
    path = write_jsonl(ws, tmp_path / "coded.jsonl")
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 9
    cb_hash = ws.codebook().hash
    for r in lines:
        assert r["produced_by"] == {"lccode": "0.1.0", "model_id": "lc-test@0123456789ab", "model_hash": "ab" * 32,
                                    "codebook_id": "learning-communities", "codebook_hash": cb_hash}
        assert ws.transcript_text(r["transcript"])[r["start_char"]:r["end_char"]] == r["text"]
    learned = [r for r in lines if r["code_id"] == "out_learning"]
    assert {r["source"] for r in learned} == {"model", "analyst"}
    assert learned[0]["code"]["nl"] == "Duurzame leeropbrengsten"


def test_failed_write_keeps_the_previous_file(ws, tmp_path, monkeypatch):
    import openpyxl

    path = tmp_path / "coded.xlsx"
    path.write_bytes(b"previous version")

    def boom(self, filename):
        with open(filename, "wb") as f:
            f.write(b"half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", boom)
    with pytest.raises(OSError):
        write_xlsx(ws, path)
    assert path.read_bytes() == b"previous version"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coded.xlsx", "ws"]  # no temporary file left behind


def test_bad_output_and_language_are_explained(ws, tmp_path):
    with pytest.raises(InputError, match="should end in .xlsx"):
        write_xlsx(ws, tmp_path / "coded.xls")
    with pytest.raises(InputError, match="is a folder"):
        write_xlsx(ws, tmp_path)
    with pytest.raises(InputError, match="unknown language 'de'") as exc:
        write_xlsx(ws, tmp_path / "x.xlsx", "de")
    assert "--lang nl" in exc.value.render()
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(InputError, match="must be a folder"):
        write_csv(ws, tmp_path / "file.txt")

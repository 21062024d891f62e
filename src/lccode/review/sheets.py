"""The spreadsheet path, out: the review queue to an XLSX or CSV sheet for analysts to fill in, and its layout.

Analysts edit two columns: `final_codes` (code ids or names, separated by commas; it starts as the model's
proposal) and `decision` ('coded', 'unsure', or empty for rows they did not review). The filled-in sheet comes
back through lccode.review.sheet_import.
"""

from __future__ import annotations

import csv
from pathlib import Path

from lccode.errors import InputError

COLUMNS = ["segment_id", "transcript", "position", "community", "level", "language", "speaker", "role", "time",
           "before", "text", "after", "uncertainty", "model_codes", "probabilities", "final_codes", "decision",
           "analyst", "model_id", "codebook"]
EDITABLE = ("final_codes", "decision", "analyst")
FORMATS = (".xlsx", ".csv")


def sheet_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"cannot tell the spreadsheet type from '{path.name}'", file=path,
                         expected="a file name ending in .xlsx (Excel, LibreOffice) or .csv",
                         fix="add .xlsx or .csv to the file name")
    return suffix[1:]


def _codes_text(codes) -> str:
    return ", ".join(codes)


def export_queue(ws, path: str | Path, analyst: str | None = None, filters: dict | None = None,
                 include_decided: bool = False, skip_others: bool = False, limit: int | None = None,
                 overwrite: bool = False) -> dict:
    """Write the queue (most probably wrong first) to XLSX or CSV, atomically; returns what was written."""
    from lccode.clock import hms
    from lccode.review.queue import review_queue
    from lccode.review.views import latest_by_analyst

    path = Path(path)
    fmt = sheet_format(path)
    if path.exists() and not overwrite:
        raise InputError("the file already exists; it may hold analysts' work", file=path,
                         fix="choose another file name, or pass --overwrite if it can be replaced")
    queue = review_queue(ws, analyst, filters=filters, include_decided=include_decided, skip_others=skip_others,
                         limit=limit)
    cb = ws.codebook()
    rows = []
    for pos, it in enumerate(queue.items, 1):
        seg = ws.segment(it.key)
        before, after = ws.neighbours(seg, 1)  # one sentence each side: spreadsheet cells are narrow
        mine = next((d for d in latest_by_analyst(ws, it.key) if analyst and d["analyst"] == analyst), None)
        top = sorted((c for c in it.probs if it.probs[c] >= 0.05), key=lambda c: -it.probs[c])[:6]
        rows.append({
            "segment_id": it.key, "transcript": it.transcript_id, "position": it.index + 1, "community": it.community,
            "level": it.level or "", "language": it.lang or "", "speaker": it.speaker or "", "role": it.role or "",
            "time": hms(it.t_start), "before": " ".join(s.text for s in before), "text": it.text,
            "after": " ".join(s.text for s in after), "uncertainty": round(it.score, 3),
            "model_codes": _codes_text(it.proposed), "probabilities": "; ".join(f"{c} {it.probs[c]:.2f}" for c in top),
            "final_codes": _codes_text(mine["codes"] if mine else it.proposed), "decision": "",
            "analyst": analyst or "", "model_id": queue.run.model_id, "codebook": cb.ref})
    about = provenance(ws, queue, cb, analyst)
    from lccode.atomic import atomic_path

    with atomic_path(path) as tmp:  # an interrupted export never leaves half a sheet where a good one was
        (_write_xlsx if fmt == "xlsx" else _write_csv)(tmp, rows, cb, about)
    return {"path": str(path), "rows": len(rows), "format": fmt, "model_id": queue.run.model_id}


def provenance(ws, queue, cb, analyst) -> list[tuple[str, str]]:
    from lccode import __version__
    from lccode.workspace import now

    return [("written by", f"lccode {__version__}"), ("exported at", now()), ("workspace", str(ws.root.resolve())),
            ("model", f"{queue.run.model_id} ({queue.run.model_name or 'unnamed'})"),
            ("model hash", queue.run.model_hash or ""), ("coding run", str(queue.run.run_id)),
            ("codebook", cb.ref), ("codebook hash", cb.hash), ("analyst", analyst or ""),
            ("filters", ", ".join(f"{k}={v}" for k, v in queue.filters.items()) or "none"),
            ("order", "most probably wrong first: uncertainty = the chance that the model got a code of the segment "
                      "wrong, read from its probabilities and, in a transcript, its speaker turn "
                      "(see lccode.model.uncertainty)")]


INSTRUCTIONS = [
    "How to fill in this sheet",
    "1. Read 'text' (with 'before' and 'after' for context) and the model's proposal in 'model_codes'.",
    "2. Edit 'final_codes' so it lists the codes that apply: code ids (see the 'codebook' sheet) separated by "
    "commas. Leave it empty when no code applies.",
    "3. Set 'decision' to 'coded' for every row you reviewed, or 'unsure' if you could not decide. Rows with an "
    "empty decision are not imported.",
    "4. Put your name in 'analyst' (or pass --analyst when importing).",
    "5. Import with: lccode review import -w WORKSPACE THIS_FILE. Nothing is imported if any row has a problem; "
    "the message lists every problem with its row number.",
]


def _write_csv(path: Path, rows: list[dict], cb, about) -> None:
    from lccode.export._common import csv_cell

    # utf-8-sig: Excel then reads accents correctly. Text quoted and formula-safe (see export._common.csv_cell);
    # the import undoes the apostrophe, so ids and codes read back unchanged.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, quoting=csv.QUOTE_NONNUMERIC)
        w.writeheader()
        w.writerows([{k: csv_cell(v) for k, v in r.items()} for r in rows])


def _write_xlsx(path: Path, rows: list[dict], cb, about) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from lccode.export._common import xlsx_text_cells

    def clean(values):  # control characters a transcript may hold but an XLSX cell may not
        return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]

    wb = Workbook()
    ws = wb.active
    ws.title = "review"
    ws.append(COLUMNS)
    for r in rows:
        ws.append(clean([r[c] for c in COLUMNS]))
    bold, edit_fill = Font(bold=True), PatternFill("solid", fgColor="FFF4CC")
    widths = {"segment_id": 14, "transcript": 18, "text": 60, "before": 34, "after": 34, "model_codes": 26,
              "probabilities": 30, "final_codes": 30, "decision": 11, "analyst": 12, "model_id": 16, "codebook": 16}
    wrap = Alignment(wrap_text=True, vertical="top")
    for j, name in enumerate(COLUMNS, 1):
        col = ws.cell(row=1, column=j).column_letter
        ws.column_dimensions[col].width = widths.get(name, 11)
        ws.cell(row=1, column=j).font = bold
        if name in EDITABLE:
            ws.cell(row=1, column=j).fill = PatternFill("solid", fgColor="FFE08A")
        for i in range(2, len(rows) + 2):
            cell = ws.cell(row=i, column=j)
            cell.alignment = wrap
            if name in EDITABLE:
                cell.fill = edit_fill
    ws.freeze_panes = "B2"
    if rows:
        dv = DataValidation(type="list", formula1='"coded,unsure"', allow_blank=True,
                            error="Use coded or unsure, or leave the cell empty.", errorTitle="decision")
        dv.add(f"{ws.cell(row=2, column=COLUMNS.index('decision') + 1).coordinate}:"
               f"{ws.cell(row=len(rows) + 1, column=COLUMNS.index('decision') + 1).coordinate}")
        ws.add_data_validation(dv)
    from lccode.codebook import code_colors

    cs = wb.create_sheet("codebook")
    langs = list(cb.languages)
    cs.append(["code", "category", *[f"name ({lg})" for lg in langs], *[f"definition ({lg})" for lg in langs]])
    colors = code_colors(cb)
    for code in cb.codes:
        cs.append(clean([code.id, cb.category_of(code.id).label(langs[0]), *[code.name.get(lg, "") for lg in langs],
                         *[code.definition.get(lg, "") for lg in langs]]))
        cs.cell(row=cs.max_row, column=1).fill = PatternFill("solid", fgColor=colors[code.id].lstrip("#"))
        cs.cell(row=cs.max_row, column=1).font = Font(bold=True, color="FFFFFF")
    for j, width in enumerate([24, 22, *[30] * len(langs), *[70] * len(langs)], 1):
        cs.column_dimensions[cs.cell(row=1, column=j).column_letter].width = width
    for row in cs.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = wrap
    ab = wb.create_sheet("about")
    for line in INSTRUCTIONS:
        ab.append([line])
    ab.append([])
    for k, v in about:
        ab.append(clean([k, v]))
    ab["A1"].font = bold
    ab.column_dimensions["A"].width = 22
    ab.column_dimensions["B"].width = 90
    for sheet in (ws, cs, ab):
        xlsx_text_cells(sheet)  # a quote, name or definition that starts with '=' stays text
    wb.properties.creator = about[0][1]
    wb.save(path)

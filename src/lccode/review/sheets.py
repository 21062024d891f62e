"""The spreadsheet path: the review queue to XLSX/CSV, and analysts' decisions back into the workspace.

Analysts edit two columns: `final_codes` (code ids or names, separated by commas; it starts as the model's
proposal) and `decision` ('coded', 'unsure', or empty for rows they did not review). An import checks every row
first and reports all problems with their row numbers; it stores nothing unless the whole sheet is valid.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path

from lccode.errors import InputError, Problem

COLUMNS = ["segment_id", "transcript", "position", "community", "level", "language", "speaker", "role", "time",
           "before", "text", "after", "uncertainty", "model_codes", "probabilities", "final_codes", "decision",
           "analyst", "model_id", "codebook"]
EDITABLE = ("final_codes", "decision", "analyst")
REQUIRED = ("segment_id", "final_codes", "decision")
STATUS_WORDS = {"coded": "coded", "unsure": "unsure"}
FORMATS = (".xlsx", ".csv")
_SPLIT = re.compile(r"[,;\n]+")
MAX_PROBLEMS = 200


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
            ("order", "most probably wrong first: uncertainty = the chance that at least one of the model's code decisions "
                      "is wrong (see lccode.model.uncertainty)")]


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


# -- import ------------------------------------------------------------------------------------------------------
def read_sheet(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) pairs, row numbers as the spreadsheet shows them."""
    if not path.is_file():
        raise InputError("file not found", file=path, fix="check the path")
    if sheet_format(path) == "xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for damaged files
            raise InputError(f"cannot read this Excel file ({exc.__class__.__name__})", file=path,
                             expected="an .xlsx file written by 'lccode review export'",
                             fix="save it again as .xlsx (Excel workbook)") from None
        sheet = wb["review"] if "review" in wb.sheetnames else wb.worksheets[0]
        values = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        wb.close()
    else:
        from lccode.ingest.decode import decode_bytes

        text = decode_bytes(path.read_bytes(), path)
        first = text.splitlines()[0] if text else ""
        # Excel with Dutch settings saves CSV with semicolons; take whichever separator the header uses.
        delim = max(",;\t", key=first.count)
        from lccode.export._common import from_sheet

        try:
            values = [[from_sheet(c) for c in row] for row in csv.reader(io.StringIO(text), delimiter=delim)]
        except csv.Error as exc:
            raise InputError(f"not valid CSV ({exc})", file=path, expected="the CSV written by 'lccode review export'",
                             fix="save the sheet again as CSV") from None
    if not values:
        raise InputError("the sheet is empty", file=path, expected="a header row and one row per segment")
    header = [h.strip().lower() for h in values[0]]
    return header, [(n, row) for n, row in enumerate(values[1:], 2) if any(str(c).strip() for c in row)]


def code_lookup(cb) -> dict[str, str]:
    """Code ids and names (any language), case-insensitive, to code ids."""
    out = {}
    for code in cb.codes:
        for name in [code.id, *code.name.values()]:
            out[name.strip().casefold()] = code.id
    return out


def parse_codes(cell: str, lookup: dict[str, str]) -> tuple[list[str], list[str]]:
    codes, unknown = [], []
    for token in _SPLIT.split(cell or ""):
        token = token.strip()
        if not token:
            continue
        cid = lookup.get(token.casefold())
        if cid:
            codes.append(cid)
        else:
            unknown.append(token)
    return list(dict.fromkeys(codes)), unknown


def import_sheet(ws, path: str | Path, analyst: str | None = None, dry_run: bool = False) -> dict:
    """Validate every row, then store all decisions in one transaction (source 'sheet'), or nothing."""
    from lccode.review.views import latest_by_analyst
    from lccode.workspace.decisions import record_decisions

    path = Path(path)
    header, rows = read_sheet(path)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}", file=path, line=1,
                         expected="the columns of 'lccode review export': " + ", ".join(REQUIRED) + ", ...",
                         fix="keep the header row as exported; do not rename or delete these columns")
    col = {name: header.index(name) for name in header if name}
    lookup = code_lookup(ws.codebook())
    problems: list[Problem] = []
    items, seen, skipped = [], {}, 0

    def cell(row, name):
        i = col.get(name)
        return str(row[i]).strip() if i is not None and i < len(row) and row[i] is not None else ""

    def problem(n, field, msg, expected=None, fix=None):
        problems.append(Problem(msg, path, n, field, expected, fix))

    for n, row in rows:
        key, word = cell(row, "segment_id"), cell(row, "decision").lower()
        codes, unknown = parse_codes(cell(row, "final_codes"), lookup)
        if not word:
            proposal, _ = parse_codes(cell(row, "model_codes"), lookup)
            if "model_codes" in col and set(codes) != set(proposal):
                problem(n, "decision", "final_codes were changed but decision is empty",
                        "coded or unsure", "write 'coded' in the decision column (or undo the change)")
            skipped += 1
            continue
        status = STATUS_WORDS.get(word)
        if status is None:
            problem(n, "decision", f"unknown decision '{word}'", "coded or unsure (or empty to leave the row out)")
        for token in unknown:
            near = difflib.get_close_matches(token.casefold(), list(lookup), n=1, cutoff=0.6)
            problem(n, "final_codes", f"unknown code '{token}'", "code ids from the 'codebook' sheet, separated by commas",
                    f"did you mean '{lookup[near[0]]}'?" if near else "check the spelling against the codebook")
        who = cell(row, "analyst") or (analyst or "").strip()
        if not who:
            problem(n, "analyst", "no analyst", "the name of who reviewed the row",
                    "fill the analyst column, or pass --analyst NAME")
        seg = ws.segment(key) if key else None
        if seg is None:
            problem(n, "segment_id", f"no segment '{key}' in this workspace" if key else "no segment id",
                    "a segment_id exported from this workspace",
                    "do not edit segment_id; if the transcript was re-added since the export, export again")
        if key and who and (key, who) in seen:
            problem(n, "segment_id", f"segment already decided by {who} on row {seen[(key, who)]}",
                    "one row per segment and analyst", "delete one of the two rows")
        seen[(key, who)] = n
        items.append({"row": n, "segment_key": key, "analyst": who, "codes": codes, "status": status,
                      "model_id": cell(row, "model_id") or None})
    if problems:
        more = len(problems) - MAX_PROBLEMS
        shown = problems[:MAX_PROBLEMS] + ([Problem(f"... and {more} more problems", path)] if more > 0 else [])
        raise InputError(problems=shown + [Problem("nothing was imported; fix the rows above and import again",
                                                   path)])
    todo, unchanged = [], 0
    for it in items:
        last = next((d for d in latest_by_analyst(ws, it["segment_key"]) if d["analyst"] == it["analyst"]), None)
        if last and last["status"] == it["status"] and sorted(last["codes"]) == sorted(it["codes"]):
            unchanged += 1  # importing the same sheet twice adds nothing
            continue
        pred = ws.prediction(it["segment_key"], it["model_id"]) if it["model_id"] else None
        it["proposal"] = pred.probs if pred else None
        it["model_id"] = it["model_id"] if pred else None
        todo.append(it)
    if not dry_run and todo:
        record_decisions(ws, todo, source="sheet")
    return {"rows": len(rows), "imported": 0 if dry_run else len(todo), "would_import": len(todo),
            "unchanged": unchanged, "not_reviewed": skipped, "dry_run": dry_run}

"""The spreadsheet path, back in: analysts' decisions from a filled-in review sheet into the workspace.

The sheet is the one lccode.review.sheets wrote (XLSX, or CSV however Excel saved it). An import checks every
row first and reports all problems with their row numbers; it stores nothing unless the whole sheet is valid.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from pathlib import Path

from lccode.errors import InputError, Problem
from lccode.review.sheets import sheet_format

REQUIRED = ("segment_id", "final_codes", "decision")
STATUS_WORDS = {"coded": "coded", "unsure": "unsure"}
_SPLIT = re.compile(r"[,;\n]+")
MAX_PROBLEMS = 200


def read_sheet(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) pairs, row numbers as the spreadsheet shows them."""
    if not path.is_file():
        raise InputError("file not found", file=path, fix="check the path")
    if sheet_format(path) == "xlsx":
        from lccode.ingest.tabular import xlsx_values

        # The package checks of transcript workbooks (size, DOCTYPE, damaged parts, rows numbered past Excel's
        # last row), each an InputError naming the file: a damaged sheet fails while it is read, not when opened.
        numbered = [(n, ["" if v is None else str(v) for v in row]) for n, row in xlsx_values(path, prefer="review")]
    else:
        from lccode.ingest.decode import read_text

        text = read_text(path, what="review sheet")
        first = text.splitlines()[0] if text else ""
        # Excel with Dutch settings saves CSV with semicolons; take whichever separator the header uses.
        delim = max(",;\t", key=first.count)
        from lccode.export._common import from_sheet

        try:
            numbered = [(n, [from_sheet(c) for c in row])
                        for n, row in enumerate(csv.reader(io.StringIO(text), delimiter=delim), 1)]
        except csv.Error as exc:
            raise InputError(f"not valid CSV ({exc})", file=path, expected="the CSV written by 'lccode review export'",
                             fix="save the sheet again as CSV") from None
    if not numbered:
        raise InputError("the sheet is empty", file=path, expected="a header row and one row per segment")
    header = [h.strip().lower() for h in numbered[0][1]] if numbered[0][0] == 1 else []
    return header, [(n, row) for n, row in numbered if n > 1 and any(str(c).strip() for c in row)]


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

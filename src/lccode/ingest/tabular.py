"""Pre-segmented text in .jsonl, .csv or .xlsx: one segment per row, kept as the transcriber cut it.

The text is in the column `text` unless `--text-column` names another (a survey's `freetext`); `speaker` is
optional. The same names are used by every format, in and out.

Parsing is bounded: a JSON line may nest only a few levels (each row is a flat object), numbers are kept as
their digits (Python refuses to convert integers of over 4,300 digits), a CSV cell may hold up to MAX_FIELD
characters, and an .xlsx is checked as an archive before openpyxl opens it (see `read_xlsx_rows`). Text must be
valid Unicode: a lone surrogate ("\ud800") cannot be stored or hashed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from contextlib import contextmanager
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Turn

MAX_DEPTH = 20
MAX_FIELD = 1_000_000  # characters in one CSV cell; a segment is a sentence or a turn, not a book
# An .xlsx is a zip of XML parts; openpyxl keeps the shared strings in memory and streams the sheet.
MAX_XLSX_BYTES = 50 * 2**20
MAX_XLSX_UNPACKED = 300 * 2**20
MAX_XLSX_PART = 100 * 2**20  # one XML part unpacked (the sheet, the shared strings)
MAX_XLSX_MEMBERS = 10_000
MAX_COLUMNS = 1_000  # read from the header row; a sheet may claim 16,384 columns and a million rows
# Excel's last row. A sheet may number a row far past it (<row r="99999999999">), and openpyxl yields an empty row
# for every number a sheet skips: without this bound, reading such a sheet never ends.
MAX_XLSX_ROWS = 1_048_576
_XLSX_EXPECTED = "an Excel .xlsx workbook"
_XLSX_FIX = "open and re-save it in Excel or LibreOffice"
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_JSON_FORMAT = '{"text": "...", "speaker": "R"}'


def json_depth(line: str) -> int:
    """How deeply brackets nest in a JSON text, strings skipped; computed without recursion."""
    depth = deepest = 0
    for m in _JSON_TOKEN.finditer(line):
        tok = m.group()
        if tok in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif tok in "]}":
            depth -= 1
    return deepest


def csv_delimiter(text: str) -> str:
    """The separator of a CSV text, from its header line: Excel with Dutch (and most European) settings saves
    "CSV" with semicolons, and some tools with tabs. A comma when the header has none of them (one column)."""
    first = text.lstrip("\ufeff").split("\n", 1)[0]
    return max(",;\t", key=first.count)


_LINE_END = re.compile(r"\r\n|\r|\n")


def json_lines(text: str) -> list[str]:
    """The lines of a JSON-lines text. Only CR/LF end a line: str.splitlines would also split at U+2028, U+2029,
    U+0085 and the other separators JSON allows unescaped inside a string, breaking a valid line in two."""
    return _LINE_END.split(text)


class JsonInt:
    """An integer as its digits: never converted, so 5,000 digits are as harmless as 5 (and not text)."""

    __slots__ = ("digits",)

    def __init__(self, digits: str):
        self.digits = digits

    def __str__(self) -> str:
        return self.digits


def valid_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_row(line: str, n: int, path: Path, want: str = "text") -> dict:
    if line.count("[") + line.count("{") > MAX_DEPTH and json_depth(line) > MAX_DEPTH:
        raise InputError(f"the JSON nests more than {MAX_DEPTH} levels deep", file=path, line=n,
                         expected=f"one flat JSON object per line, e.g. {_JSON_FORMAT}",
                         fix="write each segment as a flat object with a 'text' string")
    try:
        obj = json.loads(line, parse_int=JsonInt)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InputError(f"not valid JSON ({msg})", file=path, line=n,
                         expected=f"one JSON object per line, e.g. {_JSON_FORMAT}",
                         fix="correct or remove this line") from None
    if not isinstance(obj, dict) or not isinstance(obj.get(want), str):
        raise InputError(f"the line has no '{want}' string", file=path, line=n, field=want,
                         expected=f'{{"{want}": "..."}}', fix=f"add the segment text under the key '{want}'")
    speaker = obj.get("speaker")
    if speaker is not None and not isinstance(speaker, (str, JsonInt, float, bool)):
        raise InputError("'speaker' must be a name", file=path, line=n, field="speaker",
                         expected='"speaker": "R" (text)', fix="write the speaker label as a string")
    for key in (want, "speaker"):
        if isinstance(obj.get(key), str) and not valid_unicode(obj[key]):
            raise InputError("the text holds an invalid character (a lone UTF-16 surrogate, e.g. \\ud800)", file=path,
                             line=n, field=key, expected="valid Unicode text",
                             fix="remove the broken \\u escape, or re-export the file from its source as UTF-8")
    return obj


TEXT = "text"
SPEAKER = "speaker"


def columns(path: Path) -> list[str] | None:
    """The header of a .csv or .xlsx (None when it cannot be read here: read_transcript reports that)."""
    try:
        if path.suffix.lower() == ".xlsx":
            wb, sheet = _open_xlsx(path)
            try:
                first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
            finally:
                wb.close()
            return [str(c).strip() for c in first if c is not None]
        from lccode.ingest.decode import read_text

        text = read_text(path)
        return next(csv.reader(io.StringIO(text), delimiter=csv_delimiter(text)), [])
    except Exception:  # noqa: BLE001 - any unreadable table is reported by the reader itself
        return None


def _missing_column(path: Path, want: str, have: list[str]) -> InputError:
    return InputError(f"no '{want}' column", file=path, line=1, field=want,
                      expected=f"a header row with a '{want}' column (optional: {SPEAKER}); found: {', '.join(have) or 'none'}",
                      fix=f"name the column that holds the segments '{TEXT}', or pass --text-column COLUMN")


def _table_rows(header: list[str], body, path: Path, text_column: str | None) -> list[dict]:
    want = text_column or TEXT
    if want not in header:
        raise _missing_column(path, want, header)
    rows = []
    for n, cells in body:
        row = {k: v for k, v in zip(header, cells) if k}
        # A short row has None for missing cells; an empty segment is skipped like a blank line.
        value = row.get(want)
        rows.append(row | {TEXT: "" if value is None else str(value), "_line": n})
    return rows


@contextmanager
def _streamed(wb, path: Path):
    """While a sheet is read: a damaged one fails only as it is streamed, so any error but lccode's own becomes one
    InputError naming the file; the workbook is closed either way."""
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl and the XML parser raise many types for damaged sheets
        raise InputError(f"the spreadsheet could not be read ({type(exc).__name__})", file=path,
                         expected=_XLSX_EXPECTED, fix=_XLSX_FIX) from None
    finally:
        wb.close()


def _past_last_row(path: Path, n: int) -> InputError:
    return InputError(f"the sheet numbers a row past row {MAX_XLSX_ROWS:,}, the last a spreadsheet can have",
                      file=path, line=n, expected=f"rows numbered 1 to {MAX_XLSX_ROWS:,}", fix=_XLSX_FIX)


def xlsx_values(path: Path, prefer: str | None = None) -> list[tuple[int, list]]:
    """The rows of a workbook's sheet `prefer` (else its first sheet) that hold a value, each with its row number
    as the spreadsheet shows it; rows past MAX_XLSX_ROWS are refused and a damaged sheet is an InputError. The
    empty rows openpyxl makes for every row number a sheet skips are never kept (for review sheets)."""
    wb, sheet = _open_xlsx(path, prefer)
    values = []
    with _streamed(wb, path):
        # As wide as the header row: a row is then a few cells, however many empty ones the sheet claims.
        first = next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
        width = max((i + 1 for i, v in enumerate(first) if v is not None), default=1)
        for n, row in enumerate(sheet.iter_rows(max_col=width, values_only=True), 1):
            if n > MAX_XLSX_ROWS:
                raise _past_last_row(path, n)
            if any(v is not None for v in row):
                values.append((n, list(row)))
    return values


def _open_xlsx(path: Path, prefer: str | None = None):
    """The workbook (read-only, cached values instead of formulas) and its first sheet (or the sheet named
    `prefer`, when there is one), after the package checks.

    The sheet's own claim about its size (`<dimension ref="A1:XFD1048576"/>`) is dropped: openpyxl would pad every
    row to it. Every XML part is checked for a DOCTYPE before openpyxl parses it."""
    from lccode.ingest.archive import check_package, has_dtd

    infos = check_package(path, "spreadsheet", _XLSX_EXPECTED, max_file=MAX_XLSX_BYTES, max_unpacked=MAX_XLSX_UNPACKED,
                          max_members=MAX_XLSX_MEMBERS, max_part=MAX_XLSX_PART,
                          part=lambda name: name.endswith((".xml", ".rels")), what_part="one sheet",
                          fix="save only the sheet with the segments, or split it into several files")
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            for m in infos:
                if m.filename.endswith((".xml", ".rels")):
                    with zf.open(m) as fh:
                        if has_dtd(fh.read(4096)):
                            raise InputError(f"{m.filename} declares a DOCTYPE or entities, or holds no XML element",
                                             file=path, expected=_XLSX_EXPECTED, fix=_XLSX_FIX)
        wb = load_workbook(path, read_only=True, data_only=True)
        if not wb.worksheets:
            wb.close()
            raise InputError("the workbook has no sheet", file=path, expected=_XLSX_EXPECTED, fix=_XLSX_FIX)
        sheet = wb[prefer] if prefer in wb.sheetnames else wb.worksheets[0]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises several types for damaged files
        raise InputError(f"the spreadsheet could not be read ({type(exc).__name__})", file=path,
                         expected=_XLSX_EXPECTED, fix=_XLSX_FIX) from None
    return wb, sheet


def read_xlsx_rows(path: Path, text_column: str | None = None) -> list[dict]:
    """Rows of the first sheet; a cell holds up to MAX_FIELD characters, the sheet up to MAX_TEXT_BYTES of text."""
    from lccode.ingest.decode import MAX_TEXT_BYTES

    wb, sheet = _open_xlsx(path)
    with _streamed(wb, path):
        header = [str(c).strip() if c is not None else ""
                  for c in next(sheet.iter_rows(max_row=1, max_col=MAX_COLUMNS, values_only=True), ())]
        while header and not header[-1]:
            header.pop()
        total = 0

        def body():
            nonlocal total
            if not header:
                return
            for n, r in enumerate(sheet.iter_rows(min_row=2, max_col=len(header), values_only=True), 2):
                if n > MAX_XLSX_ROWS:
                    raise _past_last_row(path, n)
                if all(v is None for v in r):
                    continue  # an empty row (openpyxl makes one for each row number a sheet skips)
                sizes = [0 if v is None else len(str(v)) for v in r]
                total += sum(sizes)
                if max(sizes, default=0) > MAX_FIELD:
                    raise InputError(f"a cell holds {max(sizes):,} characters; lccode reads up to {MAX_FIELD:,}",
                                     file=path, line=n, expected="a segment (a sentence or a turn) per cell",
                                     fix="split the text over several rows")
                if total > MAX_TEXT_BYTES:
                    raise InputError(f"the sheet holds over {MAX_TEXT_BYTES:,} characters of text", file=path, line=n,
                                     expected=f"at most {MAX_TEXT_BYTES // 2**20} MB of text per file",
                                     fix="split the sheet into several files (one per interview or survey)")
                yield n, list(r)

        want = text_column or TEXT
        if want not in header and len(wb.sheetnames) > 1:
            # Only the first sheet is read: say so, rather than list the columns of a sheet the user did not mean.
            raise InputError(f"no '{want}' column in the first sheet ('{wb.sheetnames[0]}'), the only sheet lccode "
                             f"reads; the workbook has {len(wb.sheetnames)} sheets: {', '.join(wb.sheetnames[:10])}",
                             file=path, line=1, field=want,
                             expected=f"the segments on the first sheet, under a '{want}' header; found: "
                                      f"{', '.join(h for h in header if h) or 'none'}",
                             fix="move the sheet with the segments to the front (or save it as a workbook of its "
                                 "own), or pass --text-column COLUMN")
        rows = _table_rows(header, body(), path, text_column)
    return _non_empty(rows, path)


def _non_empty(rows: list[dict], path: Path) -> list[dict]:
    rows = [r for r in rows if r[TEXT].strip()]
    if not rows:
        raise InputError("no segments with text", file=path, expected="rows with a non-empty text", fix="check the file")
    return rows


def read_rows(text: str, path: Path, text_column: str | None = None) -> list[dict]:
    want = text_column or TEXT
    rows = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(json_lines(text), 1):
            if not line.strip():
                continue
            obj = _json_row(line, n, path, want)
            rows.append(obj | {TEXT: obj[want], "_line": n})
    else:
        reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
        limit = csv.field_size_limit()
        csv.field_size_limit(MAX_FIELD)
        try:
            header = [h.strip() for h in next(reader, [])]
            rows = _table_rows(header, ((reader.line_num, cells) for cells in reader), path, text_column)
        except csv.Error as exc:
            raise InputError(f"not valid CSV ({exc})", file=path, line=reader.line_num or 1,
                             expected=f"comma-separated rows, each cell under {MAX_FIELD:,} characters, quotes closed",
                             fix="close the quote that opens on this line, or split an overlong cell") from None
        finally:
            csv.field_size_limit(limit)
    return _non_empty(rows, path)


def rows_to_transcript(rows: list[dict]) -> tuple[str, list[Turn]]:
    parts, turns, pos = [], [], 0
    for row in rows:
        if parts:
            parts.append("\n\n")
            pos += 2
        body = " ".join(row["text"].split())
        parts.append(body)
        speaker = str(row.get("speaker") or "").strip() or None  # JSON may hold a number or null
        turns.append(Turn(len(turns), speaker, pos, pos + len(body), None, None, ((pos, pos + len(body)),)))
        pos += len(body)
    return "".join(parts), turns

"""Pre-segmented text in .jsonl or .csv: one segment per row, kept as the transcriber cut it.

Parsing is bounded: a JSON line may nest only a few levels (each row is a flat object), numbers are kept as
their digits (Python refuses to convert integers of over 4,300 digits), and a CSV cell may hold up to
MAX_FIELD characters. Text must be valid Unicode: a lone surrogate ("\\ud800") cannot be stored or hashed.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Turn

MAX_DEPTH = 20
MAX_FIELD = 1_000_000  # characters in one CSV cell; a segment is a sentence or a turn, not a book
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


def _json_row(line: str, n: int, path: Path) -> dict:
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
    if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
        raise InputError("the line has no 'text' string", file=path, line=n, field="text",
                         expected='{"text": "..."}', fix="add the segment text under the key 'text'")
    speaker = obj.get("speaker")
    if speaker is not None and not isinstance(speaker, (str, JsonInt, float, bool)):
        raise InputError("'speaker' must be a name", file=path, line=n, field="speaker",
                         expected='"speaker": "R" (text)', fix="write the speaker label as a string")
    for key in ("text", "speaker"):
        if isinstance(obj.get(key), str) and not valid_unicode(obj[key]):
            raise InputError("the text holds an invalid character (a lone UTF-16 surrogate, e.g. \\ud800)", file=path,
                             line=n, field=key, expected="valid Unicode text",
                             fix="remove the broken \\u escape, or re-export the file from its source as UTF-8")
    return obj


def read_rows(text: str, path: Path) -> list[dict]:
    rows = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            rows.append(_json_row(line, n, path) | {"_line": n})
    else:
        reader = csv.DictReader(io.StringIO(text))
        limit = csv.field_size_limit()
        csv.field_size_limit(MAX_FIELD)
        try:
            fields = reader.fieldnames
            if not fields or "text" not in fields:
                raise InputError("the CSV has no 'text' column", file=path, line=1, field="text",
                                 expected="a header row with a 'text' column (optional: speaker)",
                                 fix="name the column that holds the segments 'text'")
            for row in reader:
                # A short row has None for missing cells; an empty segment is skipped like a blank line.
                rows.append({k: v for k, v in row.items() if k is not None}
                            | {"text": row["text"] or "", "_line": reader.line_num})
        except csv.Error as exc:
            raise InputError(f"not valid CSV ({exc})", file=path, line=reader.line_num or 1,
                             expected=f"comma-separated rows, each cell under {MAX_FIELD:,} characters, quotes closed",
                             fix="close the quote that opens on this line, or split an overlong cell") from None
        finally:
            csv.field_size_limit(limit)
    rows = [r for r in rows if r["text"].strip()]
    if not rows:
        raise InputError("no segments with text", file=path, expected="rows with a non-empty 'text'", fix="check the file")
    return rows


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

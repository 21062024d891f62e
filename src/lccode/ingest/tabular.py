"""Pre-segmented text in .jsonl or .csv: one segment per row, kept as the transcriber cut it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Turn


def read_rows(text: str, path: Path) -> list[dict]:
    rows = []
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON ({exc.msg})", file=path, line=n,
                                 expected='one JSON object per line, e.g. {"text": "...", "speaker": "R"}',
                                 fix="correct or remove this line") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise InputError("the line has no 'text' string", file=path, line=n, field="text",
                                 expected='{"text": "..."}', fix="add the segment text under the key 'text'")
            rows.append(obj | {"_line": n})
    else:
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "text" not in reader.fieldnames:
            raise InputError("the CSV has no 'text' column", file=path, line=1, field="text",
                             expected="a header row with a 'text' column (optional: speaker)",
                             fix="name the column that holds the segments 'text'")
        for n, row in enumerate(reader, 2):
            # A short row has None for missing cells; an empty segment is skipped like a blank line.
            rows.append({k: v for k, v in row.items() if k is not None} | {"text": row["text"] or "", "_line": n})
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

"""Labelled examples: gold JSONL files and reviewed workspace segments, checked against the codebook."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import InputError, Problem
from lccode.paths import training_data_dir

# The bundled labelled data lives in a checkout; an installed lccode trains on files the user names.
DEFAULT_DATA_DIR = training_data_dir() or Path("training_data")


@dataclass(frozen=True)
class Example:
    text: str
    codes: tuple[str, ...]
    lang: str | None = None
    id: str | None = None
    community: str | None = None
    level: str | None = None
    speaker: str | None = None  # the speaker's role
    # Where the segment sits in a whole transcript (see lccode.gold); None for a stand-alone excerpt.
    doc: str | None = None
    turn: int | None = None
    kind: str | None = None

    @property
    def position(self):
        from lccode.records import Position

        return Position(self.doc, self.turn, self.speaker, self.kind)


MAX_DATA_BYTES = 500 * 2**20  # labelled segments: far more than any hand-coded corpus


def load_jsonl(path: str | Path, code_ids: list[str]) -> list[Example]:
    """One object per line with `text` and `codes`; unknown codes and bad lines are reported all at once."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path, expected="a JSONL file of labelled segments", fix="check the path")
    from lccode.ingest.decode import read_text
    from lccode.ingest.tabular import MAX_DEPTH, JsonInt, json_depth, json_lines, valid_unicode

    known, problems, out = set(code_ids), [], []
    fmt = '{"text": "...", "codes": ["code_id", ...]}'
    # the same bounds as transcript .jsonl: flat objects, integers kept as digits, valid Unicode
    for n, line in enumerate(json_lines(read_text(path, MAX_DATA_BYTES, "labelled data file")), 1):
        if not line.strip():
            continue
        try:
            if line.count("[") + line.count("{") > MAX_DEPTH and json_depth(line) > MAX_DEPTH:
                raise ValueError(f"nested more than {MAX_DEPTH} levels deep")
            obj = json.loads(line, parse_int=JsonInt)
        except (ValueError, RecursionError) as exc:
            problems.append(Problem(f"not valid JSON ({getattr(exc, 'msg', exc)})", path, n, None, fmt,
                                    "correct or remove the line"))
            continue
        if not isinstance(obj, dict):
            problems.append(Problem("not a JSON object", path, n, None, fmt, "write the line as one {...} object"))
            continue
        text, codes = obj.get("text"), obj.get("codes", [])
        if not isinstance(text, str) or not text.strip():
            problems.append(Problem("no text", path, n, "text", "a non-empty string", "add the segment text"))
            continue
        if not valid_unicode(line):
            problems.append(Problem("the line holds an invalid character (a lone UTF-16 surrogate, e.g. \\ud800)", path,
                                    n, None, "valid Unicode text", "remove the broken \\u escape"))
            continue
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            problems.append(Problem("codes must be a list of code ids", path, n, "codes", '["sf_reciprocity"]'))
            continue
        unknown = [c for c in codes if c not in known]
        if unknown:
            problems.append(Problem(f"unknown code(s) {unknown}", path, n, "codes", "ids from the codebook",
                                    "correct the id, or use the codebook these labels belong to"))
            continue
        meta = [obj.get(k) for k in ("lang", "id", "community", "level", "speaker")]
        meta = [None if v is None else str(v) if isinstance(v, (str, JsonInt, int, float)) else None for v in meta]
        out.append(Example(text, tuple(dict.fromkeys(codes)), *meta))
    if problems:
        raise InputError(problems=problems[:50])
    if not out:
        raise InputError("no labelled segments", file=path, expected="lines with text and codes")
    return out


def data_hash(examples: list[Example]) -> str:
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: (e.text, e.codes)):
        h.update(json.dumps([ex.text, list(ex.codes)], ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


def label_matrix(examples: list[Example], code_ids: list[str]):
    import numpy as np

    index = {c: i for i, c in enumerate(code_ids)}
    y = np.zeros((len(examples), len(code_ids)), dtype=np.float32)
    for r, ex in enumerate(examples):
        for c in ex.codes:
            y[r, index[c]] = 1.0
    return y


def workspace_examples(ws, analyst: str | None = None) -> tuple[list[Example], list[int]]:
    """Reviewed segments as examples: each segment's final human codes (see workspace.decisions)."""
    from lccode.workspace.decisions import final_decisions

    out, ids = [], []
    for d in final_decisions(ws, analyst=analyst):
        if d.status != "coded":
            continue
        out.append(Example(d.text, tuple(d.codes), d.lang, d.segment_key, d.community, d.level, d.role))
        ids.extend(d.decision_ids)
    return out, ids

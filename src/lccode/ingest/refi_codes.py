"""Which codebook code each code of a REFI-QDA project is: by the mapping CSV, by lccode's id marker, or by name.

A mapping CSV (`refi_code,code_id`) is consulted first, for the REFI code's name or guid; an empty code_id leaves
that code out on purpose, so its codings are not reported as unknown. Codes lccode exported carry their id in their
description (`[lccode id: ...]`), whatever language their names are in. The rest match a codebook id or a code
name in any codebook language. Names compare with case and runs of whitespace ignored, as tools retype them.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from lccode.errors import InputError


def _norm(s: str) -> str:
    return " ".join(s.split()).casefold()


def read_mapping(path: str | Path, code_ids: set[str]) -> dict[str, str | None]:
    """`refi_code,code_id` rows; an empty code_id means 'leave this code out on purpose'."""
    path = Path(path)
    if not path.is_file():
        raise InputError("mapping file not found", file=path, fix="check the path of the mapping CSV")
    from lccode.ingest.decode import read_text

    text = read_text(path, 5 * 2**20, "mapping CSV")  # size-checked first; binaries and bad encodings refused
    reader = csv.DictReader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", file=path, line=reader.line_num or 1,
                         expected="comma-separated rows refi_code,code_id with quotes closed",
                         fix="correct this line") from None
    if not reader.fieldnames or not {"refi_code", "code_id"} <= set(reader.fieldnames):
        raise InputError("the mapping CSV needs the columns refi_code and code_id", file=path, line=1,
                         expected="a header row: refi_code,code_id", fix="add that header; one REFI code per row")
    out = {}
    for n, row in enumerate(rows, 2):
        name, target = (row["refi_code"] or "").strip(), (row["code_id"] or "").strip()
        if not name:
            continue
        if target and target not in code_ids:
            raise InputError(f"unknown code id '{target}'", file=path, line=n, field="code_id",
                             expected="a code id from the workspace's codebook (see 'lccode codebook show')",
                             fix="correct the id, or leave code_id empty to leave this REFI code out")
        out[_norm(name)] = target or None
    return out


def match_codes(root, P: str, cb, mapping: dict) -> tuple[dict[str, str | None], dict[str, str], set[str]]:
    """For the Code elements of project.qde `root`: guid -> codebook id (None: not matched), guid -> name, and the
    guids the mapping leaves out on purpose."""
    by_name = {}
    for c in cb.codes:
        by_name[_norm(c.id)] = c.id
        for label in c.name.values():
            by_name.setdefault(_norm(label), c.id)  # an id wins over another code's name
    codes: dict[str, str | None] = {}
    code_names, left_out = {}, set()
    for el in root.iter(f"{P}Code"):
        g, name = el.get("guid"), el.get("name") or ""
        code_names[g] = name
        for key in (_norm(name), _norm(g or "")):
            if key in mapping:
                codes[g] = mapping[key]
                if mapping[key] is None:
                    left_out.add(g)
                break
        else:
            # lccode's own exports carry the id in the description, whatever language the names are in.
            m = re.search(r"\[lccode id: ([a-z0-9_]+)\]", el.findtext(f"{P}Description") or "")
            codes[g] = (m.group(1) if m and m.group(1) in cb.code_ids else None) or by_name.get(_norm(name))
    return codes, code_names, left_out

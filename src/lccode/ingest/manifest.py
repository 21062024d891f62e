"""Per-transcript metadata from manifest.csv or manifest.yaml beside the transcripts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from lccode.errors import InputError, Problem
from lccode.records import KINDS, LANGUAGE_LABELS, LEVELS, ROLES, TranscriptMeta

MANIFEST_NAMES = ("manifest.csv", "manifest.yaml", "manifest.yml")
FIELDS = ("file", "id", "community", "level", "kind", "date", "language", "roles")


def find_manifest(folder: Path) -> Path | None:
    return next((folder / n for n in MANIFEST_NAMES if (folder / n).is_file()), None)


def _parse_roles(value, path, line, problems) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    pairs = value.items() if isinstance(value, dict) else (p.split("=", 1) for p in str(value).split(";") if p.strip())
    out = []
    for pair in pairs:
        if len(pair) != 2 or pair[1].strip() not in ROLES:
            problems.append(Problem(f"bad speaker role '{'='.join(map(str, pair)).strip()}'", path, line, "roles",
                                    f"Label=role pairs separated by ';', role one of {', '.join(ROLES)}",
                                    "e.g. Interviewer=interviewer; Henk=respondent"))
            continue
        out.append((str(pair[0]).strip(), pair[1].strip()))
    return tuple(out)


def _rows(path: Path) -> list[tuple[int, dict]]:
    from lccode.ingest.decode import read_text

    text = read_text(path)
    if path.suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        missing = [f for f in ("file",) if f not in (reader.fieldnames or [])]
        if missing:
            raise InputError("the manifest has no 'file' column", file=path, line=1, expected=f"a header with {', '.join(FIELDS)}",
                             fix="add a header row naming the columns")
        unknown = [f for f in reader.fieldnames if f not in FIELDS]
        if unknown:
            raise InputError(f"unknown column(s) {unknown}", file=path, line=1, expected=f"columns from {', '.join(FIELDS)}",
                             fix="rename or remove those columns")
        return [(n, row) for n, row in enumerate(reader, 2)]
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", file=path,
                         line=mark.line + 1 if mark else None, expected="transcripts: [{file: ..., community: ...}]",
                         fix="correct the YAML syntax at that line") from None
    items = None
    if root is not None and root.tag.endswith(":map"):
        items = next((v for k, v in root.value if k.value == "transcripts"), None)
    if items is None or not items.tag.endswith(":seq"):
        raise InputError("a YAML manifest needs a 'transcripts:' list", file=path, expected="transcripts: [{file: ..., community: ...}]")
    data = yaml.safe_load(text)["transcripts"]
    for node, row in zip(items.value, data):
        if not isinstance(row, dict):
            raise InputError("each entry under 'transcripts:' must be a mapping of fields", file=path,
                             line=node.start_mark.line + 1, expected=f"fields from {', '.join(FIELDS)}",
                             fix="write the entry as '- file: name.txt' with the other fields indented below it")
        unknown = [str(k) for k in row if k not in FIELDS]
        if unknown:
            raise InputError(f"unknown field(s) {unknown}", file=path, line=node.start_mark.line + 1,
                             expected=f"fields from {', '.join(FIELDS)}", fix="rename or remove those fields")
    return [(node.start_mark.line + 1, row) for node, row in zip(items.value, data)]


def load_manifest(path: Path) -> dict[str, TranscriptMeta]:
    """Metadata keyed by file name; every problem in the manifest is reported at once."""
    problems: list[Problem] = []
    metas: dict[str, TranscriptMeta] = {}
    ids: dict[str, int] = {}
    for line, row in _rows(path):
        row = {k: ("" if v is None else v) for k, v in row.items()}
        fname = str(row.get("file", "")).strip()
        if not fname:
            problems.append(Problem("no file name", path, line, "file", "the transcript's file name", "fill in the file column"))
            continue
        if not (path.parent / fname).is_file():
            problems.append(Problem(f"names '{fname}', which does not exist beside the manifest", path, line, "file",
                                    "a file in " + str(path.parent), "correct the file name or add the file"))
        level = str(row.get("level", "")).strip() or None
        if level and level not in LEVELS:
            problems.append(Problem(f"unknown level '{level}'", path, line, "level", " | ".join(LEVELS), "use one of the three levels"))
        kind = str(row.get("kind", "")).strip() or "interview"
        if kind not in KINDS:
            problems.append(Problem(f"unknown kind '{kind}'", path, line, "kind", " | ".join(KINDS), "use interview or meeting"))
        lang = str(row.get("language", "")).strip() or "auto"
        if lang not in (*LANGUAGE_LABELS, "auto"):
            problems.append(Problem(f"unknown language '{lang}'", path, line, "language", "nl | en | other | auto",
                                    "use auto to detect the language per turn, other for any other language"))
        date = str(row.get("date", "")).strip() or None
        if date:
            try:
                dt.date.fromisoformat(date)
            except ValueError:
                problems.append(Problem(f"bad date '{date}'", path, line, "date", "YYYY-MM-DD", "write the date as e.g. 2026-03-14"))
        tid = str(row.get("id", "")).strip() or Path(fname).stem
        if tid in ids:
            problems.append(Problem(f"duplicate transcript id '{tid}' (also on line {ids[tid]})", path, line, "id",
                                    "a unique id per transcript", "give each transcript its own id"))
        ids[tid] = line
        roles = _parse_roles(row.get("roles"), path, line, problems)
        metas[fname] = TranscriptMeta(tid, str(row.get("community", "")).strip() or "unknown", level, kind, date, lang, roles)
    if problems:
        raise InputError(problems=problems)
    return metas

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
    found = [folder / n for n in MANIFEST_NAMES if (folder / n).is_file()]
    if len(found) > 1:  # reading one and ignoring the other would give the metadata of whichever wins, silently
        raise InputError(f"the folder has {len(found)} manifests: {', '.join(p.name for p in found)}", file=folder,
                         expected="one manifest per folder (manifest.csv or manifest.yaml)",
                         fix="keep the manifest that is up to date and delete or rename the other")
    return found[0] if found else None


def _parse_roles(value, path, line, problems) -> tuple[tuple[str, str], ...]:
    if not value:
        return ()
    from lccode.ingest.speakers import MAX_LABEL_CHARS, MAX_NAMED_LABELS

    pairs = list(value.items() if isinstance(value, dict) else
                 (p.split("=", 1) for p in str(value).split(";") if p.strip()))
    if len(pairs) > MAX_NAMED_LABELS:
        problems.append(Problem(f"{len(pairs)} speaker roles; a transcript may name up to {MAX_NAMED_LABELS}", path,
                                line, "roles", "the labels that open turns in this transcript",
                                "name only the speakers of this transcript"))
        return ()
    out = []
    for pair in pairs:
        pair = [str(p) for p in pair]  # YAML may give a number ("Henk: 5"); it is then a bad role, not a crash
        if len(pair[0].strip()) > MAX_LABEL_CHARS:
            problems.append(Problem(f"speaker label of {len(pair[0].strip())} characters", path, line, "roles",
                                    f"a label of up to {MAX_LABEL_CHARS} characters, as it opens a turn",
                                    "e.g. Interviewer=interviewer; Henk=respondent"))
            continue
        if len(pair) != 2 or pair[1].strip() not in ROLES:
            problems.append(Problem(f"bad speaker role '{'='.join(pair).strip()}'", path, line, "roles",
                                    f"Label=role pairs separated by ';', role one of {', '.join(ROLES)}",
                                    "e.g. Interviewer=interviewer; Henk=respondent"))
            continue
        label, role = pair[0].strip(), pair[1].strip()
        other = next((r for name, r in out if name.casefold() == label.casefold()), None)
        if other is not None and other != role:  # labels are matched without case: one label, one role
            problems.append(Problem(f"speaker label '{label}' is given two roles ({other} and {role})", path, line,
                                    "roles", "each speaker label once, with one role",
                                    f"keep one of '{label}={other}' and '{label}={role}'"))
            continue
        out.append((label, role))
    return tuple(out)


MAX_MANIFEST_BYTES = 5 * 1024 * 1024
_YAML_FORMAT = "transcripts: [{file: ..., community: ...}]"


def _csv_rows(text: str, path: Path) -> list[tuple[int, dict]]:
    from lccode.ingest.tabular import csv_delimiter

    reader = csv.reader(io.StringIO(text), delimiter=csv_delimiter(text))
    try:
        header = next(reader, None) or []
        if "file" not in header:
            raise InputError("the manifest has no 'file' column", file=path, line=1, expected=f"a header with {', '.join(FIELDS)}",
                             fix="add a header row naming the columns")
        unknown = [f for f in header if f not in FIELDS]
        if unknown:
            raise InputError(f"unknown column(s) {unknown}", file=path, line=1, expected=f"columns from {', '.join(FIELDS)}",
                             fix="rename or remove those columns")
        twice = sorted({f for f in header if header.count(f) > 1})
        if twice:
            raise InputError(f"column(s) {twice} appear twice in the header", file=path, line=1,
                             expected="each column once", fix="remove the second column")
        rows = []
        for cells in reader:
            line = reader.line_num
            if len(cells) > len(header):
                raise InputError(f"the row has {len(cells)} cells, the header {len(header)}", file=path, line=line,
                                 expected="one cell per header column",
                                 fix="quote values that hold a comma, or remove the extra cells")
            if any(c.strip() for c in cells):
                rows.append((line, dict(zip(header, cells))))
        return rows
    except csv.Error as exc:
        raise InputError(f"not valid CSV ({exc})", file=path, line=reader.line_num or 1,
                         expected="comma-separated rows with quotes closed", fix="correct this line") from None


def _yaml_rows(text: str, path: Path) -> list[tuple[int, dict]]:
    import yaml

    from lccode.ingest import yamlsafe

    root = yamlsafe.compose(text, path, _YAML_FORMAT)
    items = None
    if isinstance(root, yaml.MappingNode):
        items = next((v for k, v in root.value if k.value == "transcripts"), None)
    if not isinstance(items, yaml.SequenceNode):
        raise InputError("a YAML manifest needs a 'transcripts:' list", file=path, expected=_YAML_FORMAT)
    rows = []
    for node in items.value:
        line = yamlsafe.where(node)
        if not isinstance(node, yaml.MappingNode):
            raise InputError("each entry under 'transcripts:' must be a mapping of fields", file=path, line=line,
                             expected=f"fields from {', '.join(FIELDS)}",
                             fix="write the entry as '- file: name.txt' with the other fields indented below it")
        row = {}
        for k, v in node.value:
            key = yamlsafe.scalar(k)
            if key not in FIELDS:
                raise InputError(f"unknown field '{key if key is not None else '(a list or mapping)'}'", file=path,
                                 line=yamlsafe.where(k), expected=f"fields from {', '.join(FIELDS)}",
                                 fix="rename or remove that field")
            if key == "roles" and isinstance(v, yaml.MappingNode):
                value = {}
                for rk, rv in v.value:
                    if yamlsafe.scalar(rk) is None or yamlsafe.scalar(rv) is None:
                        raise InputError("roles must map speaker labels to roles", file=path, line=yamlsafe.where(rk),
                                         field="roles", expected="roles: {Henk: respondent, Interviewer: interviewer}",
                                         fix="write each role as 'Label: role'")
                    value[yamlsafe.scalar(rk)] = yamlsafe.scalar(rv)
            else:
                value = yamlsafe.scalar(v)
                if value is None:
                    raise InputError(f"'{key}' must be a single value, not a list or mapping", file=path,
                                     line=yamlsafe.where(v), field=key, expected=f"{key}: text",
                                     fix="write one value after the colon")
            row[key] = value
        rows.append((line, row))
    return rows


def _rows(path: Path) -> list[tuple[int, dict]]:
    from lccode.ingest.decode import read_text

    text = read_text(path, MAX_MANIFEST_BYTES, "manifest")
    return _csv_rows(text, path) if path.suffix.lower() == ".csv" else _yaml_rows(text, path)


def inside(folder: Path, fname: str) -> bool:
    """True when `fname` names a file in `folder` or below it (after resolving '..' and symbolic links)."""
    base = folder.resolve()
    target = (folder / fname).resolve()
    return target == base or base in target.parents


def load_manifest(path: Path) -> dict[str, TranscriptMeta]:
    """Metadata keyed by file name; every problem in the manifest is reported at once."""
    problems: list[Problem] = []
    metas: dict[str, TranscriptMeta] = {}
    ids: dict[str, int] = {}
    files: dict[str, int] = {}
    for line, row in _rows(path):
        row = {k: ("" if v is None else v) for k, v in row.items()}
        fname = str(row.get("file", "")).strip()
        if not fname:
            problems.append(Problem("no file name", path, line, "file", "the transcript's file name", "fill in the file column"))
            continue
        if Path(fname).is_absolute() or not inside(path.parent, fname):
            # A manifest describes the files beside it; one that reaches elsewhere would let a shared folder's
            # manifest read any file this user can read into the workspace.
            problems.append(Problem(f"names '{fname}', which is outside the manifest's folder", path, line, "file",
                                    "a file name relative to " + str(path.parent) + " (subfolders allowed)",
                                    "move the file into the manifest's folder, or add it with its own 'lccode add'"))
            continue
        resolved = str((path.parent / fname).resolve())  # "henk.txt" and "./henk.txt" are one file
        if resolved in files:
            problems.append(Problem(f"lists '{fname}' twice (also on line {files[resolved]})", path, line, "file",
                                    "one row per transcript file", "remove or merge one of the two rows"))
            continue
        files[resolved] = line
        if not _is_file(path.parent / fname):
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


def _is_file(path: Path) -> bool:
    """is_file that answers False for a name the file system cannot hold (over 255 bytes: ENAMETOOLONG), which
    Python raises instead of answering."""
    try:
        return path.is_file()
    except OSError:
        return False

"""REFI-QDA import: a `.qdpx` coded by people (ATLAS.ti, NVivo, MAXQDA, QualCoder) into the workspace.

Each text source becomes a transcript with its exact text, segmented like any transcript; each coded span becomes
a segment at the same offsets (in code points; positions a tool wrote in UTF-16 code units are detected and
converted, see `ingest/refi_positions.py`), replacing the segments it overlaps, and its codings become review
decisions (source 'refi') by the coder named in the project, so imported coding is training and gold data. Text no
coding touches stays as ordinary segments to code, or, with `uncoded_as_negatives`, becomes 'no code' decisions.
Codings an lccode model made are recognised by its User id, its User name or the marker in the selection's note
(tools such as QualCoder keep only the last two). Codes are matched to codebook ids by id or by name in any
codebook language; a mapping CSV (`refi_code,code_id`) covers the rest. Everything is read and checked before
the first row is written, and the import is written in one transaction: a failure while writing stores nothing.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.refi_positions import UTF16, UnitChoice, detect_unit, utf16_to_cp
from lccode.records import KINDS, LANGUAGE_LABELS, LEVELS, Segment, Transcript, TranscriptMeta, Turn
from lccode.refi_format import MODEL_MARKER, MODEL_USER_NAME, MODEL_USER_PREFIX, validation_errors

log = logging.getLogger(__name__)
DEFAULT_ANALYST = "refi-import"
# A .qdpx is a zip archive: its parts' declared sizes (which zipfile enforces while reading) are checked before
# they are read. Media sources (audio, video, PDF) are never read, so the archive itself may be large.
MAX_QDE_BYTES = 200 * 2**20      # project.qde unpacked
MAX_PROJECT_TEXT_BYTES = 200 * 2**20  # all text sources together
_EXPORT_AGAIN = "export the project again from your QDA tool"


@dataclass(frozen=True)
class RefiImport:
    transcripts: tuple[str, ...]
    segments: int
    decisions: int
    codings: int  # (segment, code) pairs stored
    unknown_codes: tuple[tuple[str, int], ...]  # REFI code name, codings left out
    model_codings: int  # codings the project says an lccode model made
    skipped_model_codings: bool
    warnings: tuple[str, ...]
    uncoded_segments: int = 0  # segments no coding touches: left to code (or stored as negatives)
    negatives: int = 0  # uncoded segments stored as 'no code' decisions (--uncoded-as-negatives)
    positions: str = ""  # how startPosition/endPosition were read, in words
    position_unit: str = "code points"


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


def _read_zip(path: Path):
    if not path.is_file():
        raise InputError("project file not found", file=path, expected="a REFI-QDA project (.qdpx)",
                         fix="check the path and the file name")
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("not a REFI-QDA project file", file=path, expected="a .qdpx file (a zip with project.qde)",
                         fix="export the project from your QDA tool as 'REFI-QDA project (.qdpx)'") from None
    qde = [n for n in z.namelist() if n.lower().endswith(".qde")]
    if not qde:
        raise InputError("the .qdpx holds no project.qde", file=path, expected="project.qde and a Sources/ folder",
                         fix="export the whole project (not only the codebook) from your QDA tool")
    from lccode.ingest.archive import check_member_size

    check_member_size(z.getinfo(qde[0]), MAX_QDE_BYTES, str(path), "a project.qde")
    return z, qde[0]


def _read_member(z: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        return z.read(name)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
        raise InputError(f"{name} in the .qdpx could not be read ({exc})", file=path,
                         expected="a .qdpx file (a zip with project.qde)", fix=_EXPORT_AGAIN) from None


def _member(z: zipfile.ZipFile, ref: str) -> str | None:
    """The zip member a source path names: `internal://X` lies in the project's sources folder, which tools spell
    `Sources/` (NVivo, lccode) or `sources/` (MAXQDA, QualCoder, the standard); names compare case-insensitively."""
    scheme, _, rest = ref.partition("://")
    member = (rest if _ else ref).lstrip("/").replace("\\", "/")
    if scheme.lower() == "relative" and _:
        return None  # outside the .qdpx, beside the project on the writer's disk
    names = {n.casefold(): n for n in z.namelist()}
    for cand in (f"sources/{member}", member):
        if cand.casefold() in names:
            return names[cand.casefold()]
    base = member.rsplit("/", 1)[-1].casefold()  # a tool that nests its folder one level deeper
    return next((n for n in z.namelist() if n.casefold().rsplit("/", 1)[-1] == base and "sources/" in n.casefold()), None)


def _source_text(z: zipfile.ZipFile, el, path: Path, P: str) -> str:
    name = el.get("name") or el.get("guid")
    ref = el.get("plainTextPath")
    if ref:
        found = _member(z, ref)
        if found is None:
            outside = ref.lower().startswith(("relative://", "absolute://", "file:"))
            raise InputError(f"text source '{name}' points at {ref}, which is not in the .qdpx", file=path,
                             field=f"TextSource {el.get('guid')} plainTextPath",
                             expected="the source text inside the project's sources folder (internal://...)",
                             fix=("the QDA tool linked this source instead of embedding it: embed or import the file "
                                  "into the project, then export again" if outside else
                                  "the .qdpx is incomplete: export the project again from your QDA tool, or unzip "
                                  "it and check that the sources folder holds this file"))
        from lccode.ingest.archive import check_member_size
        from lccode.ingest.decode import MAX_TEXT_BYTES

        check_member_size(z.getinfo(found), MAX_TEXT_BYTES, f"{path}:{found}", "a text source")
        data = _read_member(z, found, path)
    else:
        content = el.find(f"{P}PlainTextContent")
        if content is None or content.text is None:
            raise InputError(f"text source '{name}' has no text", file=path, field="plainTextPath",
                             expected="plainTextPath or PlainTextContent", fix="export the project again")
        return content.text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the text of source '{name}' is not UTF-8 (byte {exc.start})", file=f"{path}:{found}",
                         expected="UTF-8 plain text, as REFI-QDA requires", fix="export the project again") from None
    # A byte-order mark (QualCoder writes one) is not part of the text the offsets count.
    return text[1:] if text.startswith("\ufeff") else text


def is_model_coding(user, description: str | None) -> bool:
    """An lccode model's coding: by the User id lccode writes, or, where a tool dropped that (QualCoder keeps only
    User names), by the User name or the marker in the selection's note; both survive such a round trip."""
    if description and MODEL_MARKER in description:
        return True
    if user is None:
        return False
    return ((user.get("id") or "").startswith(MODEL_USER_PREFIX)
            or (user.get("name") or "").startswith(MODEL_USER_NAME))


def _slug(name: str) -> str:
    stem = re.sub(r"\.(txt|docx?|rtf|pdf)$", "", name.strip(), flags=re.I)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-")


def _turn_of(turns: list[Turn], start: int) -> Turn | None:
    best = None
    for t in turns:
        if t.start_char <= start:
            best = t
        else:
            break
    return best


@dataclass(frozen=True)
class ProjectRead:
    """What a .qdpx holds, checked and ready to store."""

    items: list  # (Transcript, [Segment], [(Segment, analyst, [code ids])])
    unknown: dict[str, int]
    model_codings: int
    codings: int
    uncoded: int  # segments with no coding, left to code
    negatives: int  # of those, stored as 'no code' decisions
    unit: UnitChoice
    warnings: list[str]


def _codes_of(root, P: str, cb, mapping: dict):
    """REFI code guid -> codebook id (None: not matched), guid -> name, guids left out on purpose."""
    by_name = {}
    for c in cb.codes:
        by_name[_norm(c.id)] = c.id
        for label in c.name.values():
            by_name.setdefault(_norm(label), c.id)
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


def _with_auto_segments(tid: str, text: str, coded: list[Segment], auto: list[Segment]) -> tuple[list[Segment], set]:
    """Coded spans plus the segmenter's segments that overlap none of them, in text order, re-indexed and re-keyed.
    Returns the segments and the keys of the uncoded ones."""
    from lccode.segment import segment_key

    spans = sorted((s.start_char, s.end_char) for s in coded)
    free = [a for a in auto if not any(s < a.end_char and a.start_char < e for s, e in spans)]
    merged = sorted([(s, True) for s in coded] + [(a, False) for a in free], key=lambda x: (x[0].start_char, x[0].end_char))
    seen: dict[str, int] = {}
    out, uncoded = [], set()
    for i, (seg, is_coded) in enumerate(merged):
        new = replace(seg, index=i, key=segment_key(tid, seg.text, seen), context_before=None, context_after=None)
        out.append(new)
        if not is_coded:
            uncoded.add(new.key)
    return out, uncoded


def read_project(path: str | Path, cb, mapping: dict | None = None, prefix: str = "", community: str | None = None,
                 skip_model_codings: bool = False, segmenter=None, uncoded_as_negatives: bool = False) -> ProjectRead:
    """Parse and check a .qdpx; every source's text is segmented, coded spans kept as the coder cut them.
    Writes nothing."""
    from lxml import etree

    from lccode.ingest.archive import parse_xml
    from lccode.ingest.plaintext import parse_turns
    from lccode.segment import Segmenter, _times

    segmenter = segmenter or Segmenter()
    path = Path(path)
    z, qde = _read_zip(path)
    xml = _read_member(z, qde, path)
    root = parse_xml(xml, f"{path}:{qde}", "a REFI-QDA project.qde", _EXPORT_AGAIN)
    warnings = [f"project.qde does not follow the REFI-QDA schema ({e}); read it anyway"
                for e in validation_errors(xml, "Project.xsd")[:3]]
    P = "{" + (etree.QName(root).namespace or "") + "}" if etree.QName(root).namespace else ""
    codes, code_names, left_out = _codes_of(root, P, cb, mapping or {})
    users = {u.get("guid"): u for u in root.iter(f"{P}User")}
    variables = {v.get("guid"): (v.get("name") or "").casefold() for v in root.iter(f"{P}Variable")}

    def var_values(el) -> dict[str, str]:
        out = {}
        for vv in el.findall(f"{P}VariableValue"):
            ref = vv.find(f"{P}VariableRef")
            name = variables.get(ref.get("targetGUID")) if ref is not None else None
            val = vv.findtext(f"{P}TextValue")
            if name and val:
                out[name] = val.strip()
        return out

    case_of: dict[str, tuple[str, dict]] = {}
    for case in root.iter(f"{P}Case"):
        for ref in case.findall(f"{P}SourceRef"):
            case_of.setdefault(ref.get("targetGUID"), (case.get("name") or "unknown", var_values(case)))

    # Every text first: which unit the positions count is decided over the whole project.
    sources, total = [], 0
    for src in root.iter(f"{P}TextSource"):
        text = _source_text(z, src, path, P)
        total += len(text)
        if total > MAX_PROJECT_TEXT_BYTES:
            raise InputError(f"the project's text sources hold over {MAX_PROJECT_TEXT_BYTES // 2**20} MB of text",
                             file=path, expected=f"at most {MAX_PROJECT_TEXT_BYTES // 2**20} MB of text per import",
                             fix="export the project in parts (a few sources each) and import each")
        raw = []
        for sel in src.findall(f"{P}PlainTextSelection"):
            try:
                raw.append((sel, int(sel.get("startPosition")), int(sel.get("endPosition"))))
            except (TypeError, ValueError):
                raise InputError("a selection without numeric positions", file=path,
                                 field=f"PlainTextSelection {sel.get('guid')}",
                                 expected="startPosition and endPosition as whole numbers",
                                 fix="export the project again from your QDA tool") from None
        sources.append((src, text, raw))
    unit = detect_unit([(text, [(a, b) for _, a, b in raw]) for _, text, raw in sources])
    if unit.unit == UTF16:
        warnings.append(unit.describe() + " (as NVivo writes them); converted to characters")

    unknown: dict[str, int] = defaultdict(int)
    n_model = n_codings = n_uncoded = n_neg = 0
    out, used_ids = [], set()
    for src, text, raw in sources:
        name = src.get("name") or src.get("guid")
        case_name, case_vars = case_of.get(src.get("guid"), (None, {}))
        vals = case_vars | var_values(src)
        case_name = case_name or vals.get("community") or community or "unknown"
        tid = prefix + (_slug(name) or src.get("guid"))
        base, n = tid, 2
        while tid in used_ids:
            tid, n = f"{base}-{n}", n + 1
        used_ids.add(tid)
        level = vals.get("level") if vals.get("level") in LEVELS else None
        kind = vals.get("kind") if vals.get("kind") in KINDS else "interview"
        language = vals.get("language") if vals.get("language") in LANGUAGE_LABELS else "auto"
        meta = TranscriptMeta(tid, case_name, level, kind, vals.get("date"), language)
        conv = utf16_to_cp(text) if unit.unit == UTF16 else None
        spans: dict[tuple[int, int], dict[str, set]] = defaultdict(lambda: defaultdict(set))
        humans: set[str] = set()
        for sel, start0, end0 in raw:
            start, end = (conv.get(start0), conv.get(end0)) if conv else (start0, end0)
            if start is None or end is None or not 0 <= start < end <= len(text):
                raise InputError(f"a coded selection in source '{name}' spans positions {start0}-{end0}, but the text "
                                 f"has {len(text)} characters", file=path,
                                 field=f"PlainTextSelection {sel.get('guid')}",
                                 expected=f"positions inside the source text ({unit.unit})",
                                 fix="export the project again; if it persists, the QDA tool counted line endings "
                                     "differently from the stored text")
            if not text[start:end].strip():
                warnings.append(f"source '{name}': an empty selection at {start}-{end} was left out")
                continue
            note = sel.findtext(f"{P}Description")
            for coding in sel.findall(f"{P}Coding"):
                ref = coding.find(f"{P}CodeRef")
                g = ref.get("targetGUID") if ref is not None else None
                user = users.get(coding.get("creatingUser") or sel.get("creatingUser"))
                is_model = is_model_coding(user, note)
                n_model += is_model
                if is_model and skip_model_codings:
                    continue
                code = codes.get(g)
                if code is None:
                    if g not in left_out:
                        unknown[code_names.get(g, g or "?")] += 1
                    continue
                analyst = (user.get("name") or user.get("id")) if user is not None else None
                spans[(start, end)][analyst or DEFAULT_ANALYST].add(code)
                if not is_model:
                    humans.add(analyst or DEFAULT_ANALYST)
                n_codings += 1
        turns = parse_turns(text) or [Turn(0, None, 0, len(text))]
        tr = Transcript(meta, text, tuple(turns), f"{path}#{name}", "refi",
                        hashlib.sha256(text.encode("utf-8")).hexdigest())
        langs = segmenter.turn_languages(tr)
        coded = []
        for start, end in sorted(spans):
            turn = _turn_of(turns, start)
            t0, t1 = _times(turn, start, end) if turn else (None, None)
            speaker = turn.speaker if turn else None
            lang = langs[turn.index] if turn else (language if language != "auto" else None)
            coded.append(Segment(tid, 0, start, end, text[start:end], speaker, meta.role_of(speaker),
                                 turn.index if turn else None, lang, t0, t1))
        segments, uncoded = _with_auto_segments(tid, text, coded, segmenter.segment(tr))
        by_span = {(s.start_char, s.end_char): s for s in segments}
        decisions = [(by_span[sp], analyst, sorted(cs)) for sp in sorted(spans) for analyst, cs in sorted(spans[sp].items())]
        n_uncoded += len(uncoded)
        if uncoded_as_negatives and humans:
            # The coder read the whole source: text they left uncoded carries none of the codes.
            who = humans.pop() if len(humans) == 1 else DEFAULT_ANALYST
            decisions += [(s, who, []) for s in segments if s.key in uncoded]
            n_neg += len(uncoded)
        out.append((tr, segments, decisions))
    return ProjectRead(out, dict(unknown), n_model, n_codings, n_uncoded, n_neg, unit, warnings)


def _existing(ws, tr: Transcript, path: Path) -> dict | None:
    """Segments by span of a transcript this project was imported into before; None for a new transcript."""
    stored = ws.transcript(tr.meta.id)
    if stored is None:
        return None
    if stored.format != "refi" or stored.content_hash != tr.content_hash:
        raise InputError(f"the workspace already has a different transcript '{tr.meta.id}'", file=path,
                         field=f"TextSource {tr.meta.id}",
                         fix="import with --prefix (e.g. --prefix refi-) or into a new workspace; nothing was imported")
    return {(s.start_char, s.end_char): s for s in ws.segments(transcript=tr.meta.id)}


def _merge(ws, segs: list[Segment], decisions: list, existing: dict) -> tuple[list[Segment], list]:
    """Re-importing (say, after adding a mapping): reuse segments already there, add only new spans."""
    next_idx = 1 + max((s.index for s in existing.values()), default=-1)
    new, by_key = [], {}
    for s in segs:
        old = existing.get((s.start_char, s.end_char))
        if old is None:
            key, n = s.key, 1
            while ws.segment(key) is not None:
                key, n = f"{s.key}~r{n}", n + 1
            old = replace(s, index=next_idx, key=key)
            next_idx += 1
            new.append(old)
        by_key[s.key] = old
    return new, [(by_key[s.key], a, cs) for s, a, cs in decisions]


def import_refi(ws, path: str | Path, mapping_path: str | Path | None = None, prefix: str = "",
                community: str | None = None, skip_model_codings: bool = False,
                uncoded_as_negatives: bool = False) -> RefiImport:
    from lccode.workspace import now

    cb = ws.codebook()
    path = Path(path)
    mapping = read_mapping(mapping_path, set(cb.code_ids)) if mapping_path else None
    got = read_project(path, cb, mapping, prefix, community, skip_model_codings, ws.segmenter(), uncoded_as_negatives)
    items = got.items
    existing = {tr.meta.id: _existing(ws, tr, path) for tr, _, _ in items}
    n_dec, coded_keys, n_segs = 0, set(), 0
    with ws.transaction():  # the transcripts, segments and decisions of this import: all of them or none
        for tr, segs, decisions in items:
            old = existing[tr.meta.id]
            if old is None:
                ws.add_transcript(tr, segs)
            else:
                segs, decisions = _merge(ws, segs, decisions, old)
                ws.add_segments(segs)
            n_segs += len(segs)
            coded_keys |= {s.key for s, _, cs in decisions if cs}
            stamp = now()
            for s, analyst, cs in decisions:
                ws.add_decision(s, analyst, "coded", cs, "refi", created_at=stamp)
            n_dec += len(decisions)
    log.debug("imported %d transcripts, %d coded segments from %s", len(items), len(coded_keys), path)
    return RefiImport(tuple(tr.meta.id for tr, _, _ in items), len(coded_keys), n_dec,
                      sum(len(cs) for _, _, d in items for _, _, cs in d), tuple(sorted(got.unknown.items())),
                      got.model_codings, skip_model_codings, tuple(got.warnings), got.uncoded, got.negatives,
                      got.unit.describe(), got.unit.unit)

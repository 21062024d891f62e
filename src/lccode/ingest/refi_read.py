"""Reading a REFI-QDA project (.qdpx) into what the import stores: transcripts, segments and the coders' decisions.

Nothing is written here: `read_project` reads and checks the whole project first, so that the import
(`refi_project.py`) can store it in one go. The unit of the selections' positions is decided over all sources
together (`refi_positions.py`) before any selection is placed. A coding is attributed to the User the project names
on it (or on its selection), and one an lccode model made is recognised, so it need not pass for a person's.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.refi_archive import EXPORT_AGAIN, open_qdpx, read_member, source_texts
from lccode.ingest.refi_codes import match_codes
from lccode.ingest.refi_meta import SourceMeta
from lccode.ingest.refi_positions import UTF16, UnitChoice, detect_unit, utf16_to_cp
from lccode.ingest.refi_segments import source_segments
from lccode.records import Transcript, Turn
from lccode.refi_format import MODEL_MARKER, MODEL_USER_NAME, MODEL_USER_PREFIX, validation_errors

DEFAULT_ANALYST = "refi-import"  # the coder of a coding whose User the project does not name


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


def is_model_coding(user, description: str | None) -> bool:
    """An lccode model's coding: by the User id lccode writes, or, where a tool dropped that (QualCoder keeps only
    User names), by the User name or the marker in the selection's note; both survive such a round trip."""
    if description and MODEL_MARKER in description:
        return True
    if user is None:
        return False
    return ((user.get("id") or "").startswith(MODEL_USER_PREFIX)
            or (user.get("name") or "").startswith(MODEL_USER_NAME))


def _selections(src, path: Path, P: str) -> list[tuple[object, int, int]]:
    """A source's PlainTextSelection elements with their positions as written (in the project's unit)."""
    raw = []
    for sel in src.findall(f"{P}PlainTextSelection"):
        try:
            raw.append((sel, int(sel.get("startPosition")), int(sel.get("endPosition"))))
        except (TypeError, ValueError):
            raise InputError("a selection without numeric positions", file=path,
                             field=f"PlainTextSelection {sel.get('guid')}",
                             expected="startPosition and endPosition as whole numbers",
                             fix="export the project again from your QDA tool") from None
    return raw


@dataclass
class _Codings:
    """Who coded what: turns a selection's Coding elements into (analyst, code id) pairs, counting over the whole
    project the codings an lccode model made, those stored, and those of codes the codebook lacks."""

    users: dict
    codes: dict[str, str | None]
    code_names: dict[str, str]
    left_out: set[str]
    skip_model_codings: bool
    model: int = 0
    stored: int = 0
    unknown: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # REFI code name -> codings

    def of(self, sel, P: str) -> list[tuple[str, str, bool]]:
        """(analyst, code id, made by a model) for each coding of `sel` to store."""
        out = []
        note = sel.findtext(f"{P}Description")
        for coding in sel.findall(f"{P}Coding"):
            ref = coding.find(f"{P}CodeRef")
            g = ref.get("targetGUID") if ref is not None else None
            user = self.users.get(coding.get("creatingUser") or sel.get("creatingUser"))
            is_model = is_model_coding(user, note)
            self.model += is_model
            if is_model and self.skip_model_codings:
                continue
            code = self.codes.get(g)
            if code is None:
                if g not in self.left_out:
                    self.unknown[self.code_names.get(g, g or "?")] += 1
                continue
            analyst = (user.get("name") or user.get("id")) if user is not None else None
            out.append((analyst or DEFAULT_ANALYST, code, is_model))
            self.stored += 1
        return out


def _no_text_sources(root, P: str, path: Path, qde: str) -> InputError:
    """A project with nothing to import: not a REFI-QDA project at all, or one with only PDF, picture, audio or
    video sources (lccode reads text sources)."""
    from lxml import etree

    if etree.QName(root).localname != "Project":
        return InputError(f"{qde} is not a REFI-QDA project (its root element is <{etree.QName(root).localname}>)",
                          file=path, expected="a .qdpx exported from ATLAS.ti, NVivo, MAXQDA or QualCoder (<Project>)",
                          fix="export the project again with the tool's REFI-QDA export")
    others = sorted({etree.QName(el).localname for kind in ("PDFSource", "PictureSource", "AudioSource", "VideoSource")
                     for el in root.iter(f"{P}{kind}")})
    held = f" (it holds only {', '.join(others)} sources)" if others else ""
    return InputError(f"the project has no text source to import{held}", file=path,
                      expected="TextSource elements: transcripts as plain text",
                      fix="add the transcripts to the project as text documents and export it again; nothing was "
                          "imported")


def read_project(path: str | Path, cb, mapping: dict | None = None, prefix: str = "", community: str | None = None,
                 skip_model_codings: bool = False, segmenter=None, uncoded_as_negatives: bool = False) -> ProjectRead:
    """Parse and check a .qdpx; every source's text is segmented, coded spans kept as the coder cut them.
    Writes nothing."""
    from lxml import etree

    from lccode.ingest.archive import parse_xml
    from lccode.ingest.plaintext import parse_turns
    from lccode.segment import Segmenter

    segmenter = segmenter or Segmenter()
    path = Path(path)
    z, qde = open_qdpx(path)
    with z:  # every part is read here; the archive is closed before segmenting
        xml = read_member(z, qde, path)
        root = parse_xml(xml, f"{path}:{qde}", "a REFI-QDA project.qde", EXPORT_AGAIN)
        warnings = [f"project.qde does not follow the REFI-QDA schema ({e}); read it anyway"
                    for e in validation_errors(xml, "Project.xsd")[:3]]
        P = "{" + (etree.QName(root).namespace or "") + "}" if etree.QName(root).namespace else ""
        codes, code_names, left_out = match_codes(root, P, cb, mapping or {})
        codings = _Codings({u.get("guid"): u for u in root.iter(f"{P}User")}, codes, code_names, left_out,
                           skip_model_codings)
        metas = SourceMeta(root, P, prefix, community)

        # Every text first: which unit the positions count is decided over the whole project.
        sources = [(src, text, _selections(src, path, P)) for src, text in source_texts(z, root, path, P)]
        if not sources:
            raise _no_text_sources(root, P, path, qde)
    unit = detect_unit([(text, [(a, b) for _, a, b in raw]) for _, text, raw in sources])
    if unit.unit == UTF16:
        warnings.append(unit.describe() + " (as NVivo writes them); converted to characters")

    n_uncoded = n_neg = 0
    out = []
    for src, text, raw in sources:
        name = src.get("name") or src.get("guid")
        meta = metas.meta(src)
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
            for analyst, code, is_model in codings.of(sel, P):
                spans[(start, end)][analyst].add(code)
                if not is_model:
                    humans.add(analyst)
        turns = parse_turns(text) or [Turn(0, None, 0, len(text))]
        tr = Transcript(meta, text, tuple(turns), f"{path}#{name}", "refi",
                        hashlib.sha256(text.encode("utf-8")).hexdigest())
        segments, uncoded = source_segments(tr, spans, segmenter)
        by_span = {(s.start_char, s.end_char): s for s in segments}
        decisions = [(by_span[sp], analyst, sorted(cs)) for sp in sorted(spans) for analyst, cs in sorted(spans[sp].items())]
        n_uncoded += len(uncoded)
        if uncoded_as_negatives and humans:
            # The coder read the whole source: text they left uncoded carries none of the codes.
            who = humans.pop() if len(humans) == 1 else DEFAULT_ANALYST
            decisions += [(s, who, []) for s in segments if s.key in uncoded]
            n_neg += len(uncoded)
        out.append((tr, segments, decisions))
    return ProjectRead(out, dict(codings.unknown), codings.model, codings.stored, n_uncoded, n_neg, unit, warnings)

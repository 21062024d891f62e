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

This module stores what was read, and merges a re-import into what an earlier one stored. The reading is
`refi_read.py`, drawing on `refi_archive.py` (the zip and its texts), `refi_codes.py` (code matching),
`refi_meta.py` (transcript ids and metadata) and `refi_segments.py` (coded spans as segments).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.refi_codes import read_mapping
from lccode.ingest.refi_read import DEFAULT_ANALYST, ProjectRead, is_model_coding, read_project
from lccode.records import Segment, Transcript

# The CLI and the tests import the reading functions from here, where they lived before the reading moved out.
__all__ = ["DEFAULT_ANALYST", "ProjectRead", "RefiImport", "import_refi", "is_model_coding", "read_mapping",
           "read_project"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RefiImport:
    """What an import stored and what it left out, for `lccode import refi` to report."""

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
    """Read the project at `path` whole (see `read_project`), then store it; a re-import of the same project (say,
    with a mapping added) reuses the segments stored before."""
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

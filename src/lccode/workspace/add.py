"""`lccode add`: ingest and segment files into a workspace.

What a call guarantees: every file is read and segmented before the first one is stored, so a file that cannot
be read (or yields no segment) stops the call with nothing stored. Each transcript is then stored in its own
transaction: a call killed while storing keeps the transcripts stored before the kill, each complete, and none
of the rest; adding the same files again stores the rest (unchanged files are skipped).
"""

from __future__ import annotations

import logging
from pathlib import Path

from lccode.records import TranscriptMeta
from lccode.workspace import AddResult, Workspace

log = logging.getLogger(__name__)


def add_paths(ws: Workspace, paths: list[Path], overrides: dict | None = None, progress=None,
              text_column: str | None = None, on_scan=None) -> list[AddResult]:
    """Read and segment every file first, then store each in its own transaction.

    `overrides` (community, level, kind, language) describe files without a manifest row; `text_column` names the
    text column of .csv/.jsonl/.xlsx files. `on_scan(n_files, skipped)` hears, before reading starts, how many files
    will be read and which files in the folders were left out and why.

    A bad file stops the call before anything is written; a transcript is never stored in part.
    """
    from dataclasses import replace

    from lccode.ingest import read_transcript, scan

    found, skipped = scan(paths, text_column)
    if on_scan:
        on_scan(len(found), skipped)
    transcripts = []
    for path, meta in found:
        if meta is None:  # the overrides (CLI options) are for files the manifest does not describe
            meta = replace(TranscriptMeta(id=path.stem), **{k: v for k, v in (overrides or {}).items() if v is not None})
        transcripts.append(read_transcript(path, meta, text_column))
    ids = {}
    for tr in transcripts:
        if tr.meta.id in ids:
            from lccode.errors import InputError

            raise InputError(f"two files give transcript id '{tr.meta.id}' ({ids[tr.meta.id]} and {tr.source_path})",
                             file=tr.source_path, fix="give them distinct ids in the manifest")
        ids[tr.meta.id] = tr.source_path
    todo = [tr for tr in transcripts if not ws.is_current(tr)]
    segmenter = ws.segmenter()
    segmented = dict(zip((t.meta.id for t in todo), segmenter.segment_many(todo))) if todo else {}
    for tr in todo:
        if not segmented[tr.meta.id]:
            from lccode.errors import InputError
            from lccode.ingest import NO_TEXT, NO_TEXT_EXPECTED, NO_TEXT_FIX

            raise InputError(NO_TEXT, file=tr.source_path, expected=NO_TEXT_EXPECTED, fix=NO_TEXT_FIX)
    results = []
    for tr in transcripts:
        segs = segmented.get(tr.meta.id, [])
        res = ws.add_transcript(tr, segs)
        res.source_path, res.notes, res.languages = tr.source_path, tr.notes, _languages(tr, segs)
        results.append(res)
        if progress:
            progress(tr)
    log.info("added %d, updated %d, unchanged %d transcripts", *(sum(r.status == s for r in results)
                                                                  for s in ("added", "updated", "unchanged")))
    return results


def _languages(tr, segs) -> str | None:
    """The languages of a transcript's segments, e.g. 'nl', 'nl, en' or 'other (hu)'; None when unchanged."""
    from collections import Counter

    from lccode.language import OTHER, identify

    counts = Counter(s.lang for s in segs if s.lang)
    if not counts:
        return None
    parts = []
    for lang, _ in counts.most_common():
        if lang == OTHER:
            found = identify(" ".join(s.text for s in segs if s.lang == OTHER)[:5000])
            lang = f"{OTHER} ({found or 'unknown'})"
            log.info("%s: %d segments in another language than nl/en, identified as %s", tr.meta.id, counts[OTHER],
                     found or "unknown")
        parts.append(lang)
    return ", ".join(parts)

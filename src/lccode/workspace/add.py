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


def add_paths(ws: Workspace, paths: list[Path], overrides: dict | None = None, progress=None) -> list[AddResult]:
    """Read and segment every file first, then store each in its own transaction.

    `overrides` (community, level, kind, language) describe files without a manifest row.

    A bad file stops the call before anything is written; a transcript is never stored in part.
    """
    from dataclasses import replace

    from lccode.ingest import discover, read_transcript

    found = discover(paths)
    transcripts = []
    for path, meta in found:
        if meta is None:  # the overrides (CLI options) are for files the manifest does not describe
            meta = replace(TranscriptMeta(id=path.stem), **{k: v for k, v in (overrides or {}).items() if v is not None})
        transcripts.append(read_transcript(path, meta))
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
        results.append(ws.add_transcript(tr, segmented.get(tr.meta.id, [])))
        if progress:
            progress(tr)
    log.info("added %d, updated %d, unchanged %d transcripts", *(sum(r.status == s for r in results)
                                                                  for s in ("added", "updated", "unchanged")))
    return results

"""Read transcripts from disk into `Transcript` records (text, turns, metadata)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Transcript, TranscriptMeta

log = logging.getLogger(__name__)

NO_TEXT = "no text found to segment"
NO_TEXT_EXPECTED = "sentences with words (this file holds only labels, timestamps, punctuation or invisible characters)"
NO_TEXT_FIX = "check that this is the right file and that its export finished, or remove it"
FORMATS = {".txt": "text", ".md": "text", ".docx": "docx", ".vtt": "vtt", ".srt": "srt", ".jsonl": "jsonl", ".csv": "csv"}


def read_transcript(path: str | Path, meta: TranscriptMeta | None = None) -> Transcript:
    from lccode.ingest import decode, docx, plaintext, subtitles, tabular

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unsupported file type '{path.suffix}'", file=path,
                         expected="one of " + ", ".join(FORMATS), fix="export the transcript as .txt, .docx, .vtt or .srt")
    if not path.is_file():
        raise InputError("file not found", file=path, fix="check the path")
    if not tabular.valid_unicode(str(path.resolve())):  # a name in another encoding cannot be stored or hashed
        raise InputError("the file name is not valid UTF-8", file=ascii(str(path)), expected="a UTF-8 file name",
                         fix="rename the file (and its folder) without the unreadable characters")
    if fmt != "docx":  # refuse an oversized file before reading it (a .docx is bounded by its own checks)
        decode.check_size(path.stat().st_size, path)
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    meta = meta or TranscriptMeta(id=path.stem)
    if fmt == "docx":
        if not data.strip():
            raise InputError("the file is empty", file=path, expected="a Word .docx file", fix="re-export the transcript")
        text = docx.read_docx_text(path)
        turns = plaintext.parse_turns(text)
    else:
        raw = decode.decode_bytes(data, path)
        if fmt == "text":
            text, turns = raw, plaintext.parse_turns(raw)
        elif fmt in ("vtt", "srt"):
            cues = subtitles.parse_vtt(raw, path) if fmt == "vtt" else subtitles.parse_srt(raw, path)
            text, turns = subtitles.cues_to_transcript(cues)
        else:
            text, turns = tabular.rows_to_transcript(tabular.read_rows(raw, path))
    if not turns:
        raise InputError(NO_TEXT, file=path, expected=NO_TEXT_EXPECTED, fix=NO_TEXT_FIX)
    return Transcript(meta, text, tuple(turns), str(path), fmt, digest, presegmented=fmt in ("jsonl", "csv"))


def discover(paths: list[Path]) -> list[tuple[Path, TranscriptMeta | None]]:
    """Transcript files under the given files/folders, each with its manifest metadata if a manifest is beside it.

    A folder with a manifest gives exactly the files the manifest lists (others are named in a warning); a folder
    without one gives every file of a known format except README files.
    """
    from lccode.ingest.manifest import find_manifest, load_manifest

    found: list[tuple[Path, TranscriptMeta | None]] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("path not found", file=p, fix="check the spelling of the file or folder")
        folder = p if p.is_dir() else p.parent
        manifest = find_manifest(folder)
        metas = load_manifest(manifest) if manifest else {}
        if p.is_dir():
            if metas:
                found.extend((folder / f, m) for f, m in metas.items())
                listed = {(folder / f).resolve() for f in metas}
                skipped = [f.name for f in sorted(folder.iterdir()) if _candidate(f) and f.resolve() not in listed]
                if skipped:
                    # A folder with a manifest is read as the manifest says; say what that leaves out.
                    log.warning("%s does not list %d file(s) in %s, so they are not added: %s", manifest.name,
                                len(skipped), folder, ", ".join(skipped))
            else:
                found.extend((f, None) for f in sorted(folder.iterdir()) if _candidate(f))
        else:
            found.append((p, metas.get(p.name)))
    return found


def _candidate(f: Path) -> bool:
    """A file in a folder that may be a transcript; a manifest or a README beside the transcripts is not."""
    from lccode.ingest.manifest import MANIFEST_NAMES

    return (f.is_file() and f.suffix.lower() in FORMATS and f.name not in MANIFEST_NAMES
            and not f.name.casefold().startswith("readme"))

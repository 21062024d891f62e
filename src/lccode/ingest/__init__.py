"""Read transcripts from disk into `Transcript` records (text, turns, metadata)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Transcript, TranscriptMeta

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
        raise InputError("no text found to segment", file=path, expected="transcript text", fix="check the file")
    return Transcript(meta, text, tuple(turns), str(path), fmt, digest, presegmented=fmt in ("jsonl", "csv"))


def discover(paths: list[Path]) -> list[tuple[Path, TranscriptMeta | None]]:
    """Transcript files under the given files/folders, each with its manifest metadata if a manifest is beside it."""
    from lccode.ingest.manifest import MANIFEST_NAMES, find_manifest, load_manifest

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
            else:
                found.extend((f, None) for f in sorted(folder.iterdir())
                             if f.suffix.lower() in FORMATS and f.name not in MANIFEST_NAMES)
        else:
            found.append((p, metas.get(p.name)))
    return found

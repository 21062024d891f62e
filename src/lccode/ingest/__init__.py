"""Read transcripts from disk into `Transcript` records (text, turns, metadata)."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import InputError
from lccode.records import Transcript, TranscriptMeta

log = logging.getLogger(__name__)

NO_TEXT = "no text found to segment"
NO_TEXT_EXPECTED = "sentences with words (this file holds only labels, timestamps, punctuation or invisible characters)"
NO_TEXT_FIX = "check that this is the right file and that its export finished, or remove it"
FORMATS = {".txt": "text", ".md": "text", ".rtf": "rtf", ".docx": "docx", ".odt": "odt", ".vtt": "vtt", ".srt": "srt",
           ".jsonl": "jsonl", ".csv": "csv", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class Skipped:
    """A file in a folder that was not read, and why (for the per-file report of `lccode add`)."""

    path: Path
    reason: str


# Files beside transcripts that are not transcripts: memos, notes, stop-word lists, codebooks.
_NOT_TRANSCRIPT_NAMES = re.compile(
    r"(?:^|[-_ .])(memos?|notes?|notities|aantekeningen|stop[-_ ]?words?|stopwoorden|codebook|codeboek|readme)"
    r"(?:[-_ .]|$)", re.I)


def read_transcript(path: str | Path, meta: TranscriptMeta | None = None, text_column: str | None = None) -> Transcript:
    """One transcript file. Speaker labels the manifest names (`meta.roles`) count as labels whatever their form;
    one that the file never uses is noted in `Transcript.notes`."""
    from lccode.ingest import decode, docx, odt, plaintext, subtitles, tabular

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unsupported file type '{path.suffix}'", file=path,
                         expected="one of " + ", ".join(FORMATS), fix="export the transcript as .txt, .docx, .rtf, .vtt or .srt")
    if not path.is_file():
        raise InputError("file not found", file=path, fix="check the path")
    if not tabular.valid_unicode(str(path.resolve())):  # a name in another encoding cannot be stored or hashed
        raise InputError("the file name is not valid UTF-8", file=ascii(str(path)), expected="a UTF-8 file name",
                         fix="rename the file (and its folder) without the unreadable characters")
    # Refuse an oversized file before reading it (a package's parts are checked again before it is unpacked).
    packages = {"docx": (docx.MAX_DOCX_BYTES, "Word document"), "odt": (odt.MAX_ODT_BYTES, "OpenDocument text"),
                "xlsx": (tabular.MAX_XLSX_BYTES, "spreadsheet")}
    decode.check_size(path.stat().st_size, path, *packages.get(fmt, (decode.MAX_TEXT_BYTES, "transcript")))
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    meta = meta or TranscriptMeta(id=path.stem)
    labels = [name for name, _ in meta.roles]
    if fmt in ("docx", "odt"):
        if not data.strip():
            raise InputError("the file is empty", file=path, expected=f"a .{fmt} document", fix="re-export the transcript")
        text = docx.read_docx_text(path) if fmt == "docx" else odt.read_odt_text(path)
        turns = plaintext.parse_turns(text, labels)
    elif fmt == "xlsx":
        text, turns = tabular.rows_to_transcript(tabular.read_xlsx_rows(path, text_column))
    else:
        raw = decode.decode_bytes(data, path)
        if fmt == "text":
            text, turns = raw, plaintext.parse_turns(raw, labels)
        elif fmt == "rtf":
            from lccode.ingest.rtf import rtf_to_plain

            text = rtf_to_plain(raw, path)
            turns = plaintext.parse_turns(text, labels)
        elif fmt in ("vtt", "srt"):
            cues = subtitles.parse_vtt(raw, path) if fmt == "vtt" else subtitles.parse_srt(raw, path)
            text, turns = subtitles.cues_to_transcript(cues)
        else:
            text, turns = tabular.rows_to_transcript(tabular.read_rows(raw, path, text_column))
    if not turns:
        raise InputError(NO_TEXT, file=path, expected=NO_TEXT_EXPECTED, fix=NO_TEXT_FIX)
    spoken = {(t.speaker or "").casefold() for t in turns}
    unused = [name for name in labels if name.casefold() not in spoken]
    notes = tuple(f"the manifest names speaker '{name}', but no turn in the file opens with that label" for name in unused)
    return Transcript(meta, text, tuple(turns), str(path), fmt, digest, presegmented=fmt in ("jsonl", "csv", "xlsx"),
                      notes=notes)


def discover(paths: list[Path]) -> list[tuple[Path, TranscriptMeta | None]]:
    """Transcript files under the given files/folders, each with its manifest metadata (see `scan`)."""
    return scan(paths)[0]


def scan(paths: list[Path], text_column: str | None = None) -> tuple[list[tuple[Path, TranscriptMeta | None]], list[Skipped]]:
    """Files to read, each with its manifest metadata if a manifest is beside it, and the files left out with why.

    A folder with a manifest gives exactly the files the manifest lists (manifest-only); a folder without one gives
    every file of a known format except those that are plainly not transcripts: README, memos, notes, word lists,
    tables without the text column. A file named on the command line is always read.
    """
    from lccode.ingest.manifest import MANIFEST_NAMES, find_manifest, load_manifest

    found: list[tuple[Path, TranscriptMeta | None]] = []
    skipped: list[Skipped] = []
    for p in paths:
        p = Path(p)
        try:
            exists = p.exists()
        except OSError as exc:  # a name the file system cannot hold (ENAMETOOLONG), or one it will not look up
            raise InputError(f"path cannot be looked up ({exc.strerror})", file=p,
                             expected="a transcript file or a folder of transcripts",
                             fix="check the path; shorten a file or folder name of over 255 characters") from None
        if not exists:
            raise InputError("path not found", file=p, expected="a transcript file or a folder of transcripts",
                             fix="check the spelling of the file or folder")
        folder = p if p.is_dir() else p.parent
        manifest = find_manifest(folder)
        metas = load_manifest(manifest) if manifest else {}
        if manifest and not metas and p.is_dir():
            # A folder with a manifest gives the files it lists; one that lists none would otherwise be ignored
            # and every file in the folder read without its metadata.
            raise InputError("the manifest lists no transcripts", file=manifest,
                             expected="a row (CSV) or an entry under 'transcripts:' (YAML) per transcript file",
                             fix="add a row per transcript file, or delete the manifest to read every file in the "
                                 "folder without metadata")
        if not p.is_dir():
            found.append((p, metas.get(p.name)))
            continue
        files = [f for f in sorted(folder.iterdir()) if f.is_file() and not f.name.startswith(".")
                 and f.name not in MANIFEST_NAMES]
        if not files and not metas:  # most likely the wrong folder: say so rather than report nothing added
            raise InputError("this folder holds no files", file=p, expected="transcript files (" + ", ".join(FORMATS) + ")",
                             fix="name the folder that holds the transcripts (subfolders are not read)")
        if metas:
            found.extend((folder / f, m) for f, m in metas.items())
            listed = {(folder / f).resolve() for f in metas}
            for f in files:
                if f.resolve() not in listed:
                    skipped.append(Skipped(f, f"not listed in {manifest.name} (a folder with a manifest is read as "
                                              "the manifest says)"))
            left = [s.path.name for s in skipped if s.path.parent == folder and s.path.suffix.lower() in FORMATS
                    and not s.path.name.casefold().startswith("readme")]
            if left:
                log.warning("%s does not list %d file(s) in %s, so they are not added: %s", manifest.name,
                            len(left), folder, ", ".join(left))
            continue
        here = []
        for f in files:
            reason = _not_a_transcript(f, text_column)
            if reason:
                here.append(Skipped(f, reason))
            else:
                found.append((f, None))
        if here and len(here) == len(files):  # a folder of memos, PDFs or word lists: nothing would be added
            shown = "; ".join(f"{s.path.name}: {s.reason}" for s in here[:3]) + ("; ..." if len(here) > 3 else "")
            raise InputError(f"this folder holds no transcript lccode reads ({len(here)} files left out: {shown})",
                             file=p, expected="transcript files (" + ", ".join(FORMATS) + ")",
                             fix="name the folder that holds the transcripts, or name a file on the command line to "
                                 "add it anyway")
        skipped.extend(here)
    return found, skipped


def _not_a_transcript(f: Path, text_column: str | None) -> str | None:
    """Why a file in a folder without a manifest is not read as a transcript; None to read it."""
    suffix = f.suffix.lower()
    if suffix not in FORMATS:
        return f"not a transcript format lccode reads ({suffix or 'no extension'}; reads {', '.join(FORMATS)})"
    m = _NOT_TRANSCRIPT_NAMES.search(f.stem)
    if m:
        return (f"by its name a {m.group(1).lower()} file, not a transcript (to add it anyway, name it on the command "
                "line or list it in a manifest)")
    if FORMATS[suffix] in ("csv", "xlsx"):
        from lccode.ingest.tabular import columns

        cols = columns(f)
        want = text_column or "text"
        if cols is not None and want not in cols:
            return (f"no '{want}' column (columns: {', '.join(cols) or 'none'}); name the column that holds the text "
                    "with --text-column")
    if FORMATS[suffix] == "text":
        from lccode.ingest.decode import MAX_TEXT_BYTES, decode_bytes

        try:
            if f.stat().st_size > MAX_TEXT_BYTES:
                return None  # read_transcript refuses it with the size
            lines = [ln.strip() for ln in decode_bytes(f.read_bytes(), f).splitlines() if ln.strip()]
        except InputError:
            return None  # read_transcript reports it properly
        single = sum(1 for ln in lines if len(ln.split()) == 1)
        if len(lines) >= 5 and single >= 0.9 * len(lines):
            return f"a word list ({single} of {len(lines)} lines are one word), not a transcript"
    return None

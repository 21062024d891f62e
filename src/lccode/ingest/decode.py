"""Bytes to text: UTF-8, UTF-8 with BOM, UTF-16 with BOM (Notepad's "Unicode") or without one (as some Windows
tools write it), then cp1252 with a warning; binaries refused.

A text file is text all the way through: a NUL byte anywhere, or control characters that no editor writes,
mark a binary (an image, a .doc, an archive renamed .txt). Windows-1252 can decode almost any byte string, so the
fallback is only taken for bytes that still look like a Western European text file.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from lccode.errors import InputError

log = logging.getLogger(__name__)

# A one-hour interview is about 60 KB of text; 20 MB is hundreds of hours. Larger is a wrong file or a whole
# corpus in one file, and reading it would take minutes and most of the memory.
MAX_TEXT_BYTES = 20 * 1024 * 1024
# C0/C1 controls other than tab, line feed, vertical tab, form feed and carriage return (which transcripts and
# Word exports do hold). A stray one is tolerated (a Ctrl-Z at the end of an old DOS file); text is not made of them.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_BINARY_FIX = "export the transcript as plain text or .docx"
_BINARY_EXPECTED = "a UTF-8 text transcript (.txt, .md, .vtt, .srt, .jsonl, .csv) or a Word .docx"


def check_size(size: int, path: Path, limit: int = MAX_TEXT_BYTES, what: str = "transcript") -> None:
    if size > limit:
        raise InputError(f"the file is {size / 2**20:.1f} MB; lccode reads a {what} of up to {limit / 2**20:.0f} MB",
                         file=path, expected=f"a {what} of at most {limit / 2**20:.0f} MB",
                         fix="split it into several files (one per interview or meeting)")


def _binary_words(what: str) -> tuple[str, str]:
    """The 'expected' and 'fix' of a binary-file message: a transcript's, or another text file's (a manifest, a
    codebook, labelled data) named by `what`."""
    if what == "transcript":
        return _BINARY_EXPECTED, _BINARY_FIX
    return f"a {what} saved as UTF-8 text", f"check that this is the right file; save the {what} as UTF-8 text"


def _binary(path: Path, offset: int | None = None, what: str = "transcript") -> InputError:
    where = f" (a NUL byte at byte {offset})" if offset is not None else ""
    expected, fix = _binary_words(what)
    return InputError(f"this looks like a binary file, not text{where}", file=path, expected=expected, fix=fix)


def _check_text(text: str, path: Path, guessed: str | None = None, what: str = "transcript") -> str:
    """`text` if it reads as text; `guessed` names an encoding taken without proof (cp1252, or UTF-16 by its BOM)."""
    expected, fix = _binary_words(what)
    controls = len(_CONTROL.findall(text))
    if controls > max(1, len(text) // 1000):
        m = _CONTROL.search(text)
        raise InputError(f"this looks like a binary file, not text ({controls} control characters, the first "
                         f"U+{ord(m.group()):04X} on line {text.count(chr(10), 0, m.start()) + 1})",
                         file=path, expected=expected, fix=fix)
    if guessed:
        # Random bytes decode as cp1252 (or UTF-16) into mostly accented letters, symbols and other scripts;
        # a Dutch or English transcript is mostly ASCII.
        high = sum(1 for ch in text if ord(ch) > 0x7F)
        if high > max(2, len(text) // 5):
            raise InputError(f"this does not read as text in {guessed} ({high} of {len(text)} characters outside "
                             "ASCII); it may be a binary file", file=path, expected=expected,
                             fix="save the file as UTF-8 in your editor ('Save as' > encoding UTF-8)")
    return text


def _utf16_without_bom(data: bytes, path: Path, what: str) -> str | None:
    """The text of UTF-16 written without a BOM, else None (then the NUL bytes mark a binary).

    Text in a Latin script is mostly ASCII, so in UTF-16 nearly every high byte is NUL and hardly any low byte is:
    odd bytes for little-endian, even ones for big-endian. A binary has NULs at both, or decodes into control
    characters and other scripts, which `_check_text` refuses.
    """
    sample = data[:8192]
    pairs = len(sample) // 2
    if len(data) % 2 or not pairs:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    for codec, high, low in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if high >= pairs * 0.6 and low <= pairs * 0.02:
            try:
                return _check_text(data.decode(codec), path, "UTF-16", what)
            except (UnicodeDecodeError, InputError):
                return None
    return None


def decode_bytes(data: bytes, path: Path, limit: int = MAX_TEXT_BYTES, what: str = "transcript") -> str:
    check_size(len(data), path, limit, what)
    if not data.strip():
        if what == "transcript":
            raise InputError("the file is empty", file=path, expected="a transcript with text",
                             fix="check that the export from your transcription tool finished, or remove the file")
        raise InputError("the file is empty", file=path, expected=f"a {what} with content",
                         fix=f"check that this is the right file, or write the {what} into it")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has NUL bytes, so test it before the binary check
        try:
            return _check_text(data.decode("utf-16"), path, "UTF-16", what)
        except UnicodeDecodeError:
            pass
    nul = data.find(b"\x00")
    if nul >= 0:
        text = _utf16_without_bom(data, path, what)
        if text is None:
            raise _binary(path, nul, what)
        return text
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return _check_text(data.decode("utf-8"), path, what=what)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise InputError(f"cannot decode byte 0x{data[utf8_error.start]:02x}", file=path, line=line,
                         expected="text encoded as UTF-8 (or Windows-1252)",
                         fix="save the file as UTF-8 in your editor ('Save as' > encoding UTF-8)") from None
    text = _check_text(text, path, "Windows-1252", what)
    log.warning("%s is not UTF-8; read it as Windows-1252 (cp1252). Save it as UTF-8 to be sure accents are right.", path)
    return text


def read_text(path: Path, limit: int = MAX_TEXT_BYTES, what: str = "transcript") -> str:
    """The decoded text of a file, refusing files over `limit` bytes before reading them."""
    try:
        check_size(path.stat().st_size, path, limit, what)
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", file=path, fix="check the path and its permissions") from None
    return decode_bytes(path.read_bytes(), path, limit, what)

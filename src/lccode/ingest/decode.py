"""Bytes to text: UTF-8, UTF-8 with BOM, UTF-16 with BOM (Notepad's "Unicode"), then cp1252 with a warning;
binaries refused."""

from __future__ import annotations

import logging
from pathlib import Path

from lccode.errors import InputError

log = logging.getLogger(__name__)


def decode_bytes(data: bytes, path: Path) -> str:
    if not data.strip():
        raise InputError("the file is empty", file=path, expected="a transcript with text",
                         fix="check that the export from your transcription tool finished, or remove the file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 has NUL bytes, so test it before the binary check
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    if b"\x00" in data[:4096]:
        raise InputError("this looks like a binary file, not text", file=path,
                         expected="a UTF-8 text transcript (.txt, .md, .vtt, .srt, .jsonl, .csv) or a Word .docx",
                         fix="export the transcript as plain text or .docx")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise InputError(f"cannot decode byte 0x{data[utf8_error.start]:02x}", file=path, line=line,
                         expected="text encoded as UTF-8 (or Windows-1252)",
                         fix="save the file as UTF-8 in your editor ('Save as' > encoding UTF-8)") from None
    log.warning("%s is not UTF-8; read it as Windows-1252 (cp1252). Save it as UTF-8 to be sure accents are right.", path)
    return text


def read_text(path: Path) -> str:
    return decode_bytes(path.read_bytes(), path)

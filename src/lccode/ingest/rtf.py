"""Rich Text Format transcripts (.rtf): f4transkript's default format, and what many transcribers and MAXQDA users
keep their interviews in. The RTF markup is removed with striprtf; the plain text is then read like a .txt
(speaker labels, f4's "#00:01:23-4#" stamps), and offsets refer to that plain text.
"""

from __future__ import annotations

import re
from pathlib import Path

from lccode.errors import InputError

_CODEPAGE = re.compile(r"\\ansicpg(\d{3,5})")
_EXPECTED = "a Rich Text Format file (it starts with '{\\rtf')"
_FIX = "open it in Word or LibreOffice and save it again as .rtf, .docx or .txt"


def rtf_to_plain(raw: str, path: Path) -> str:
    """The text of an RTF document (`raw`: the file decoded as text); 8-bit characters (\\'e9) in the code page the
    document declares, Windows-1252 if it declares none."""
    if not raw.lstrip("\ufeff \t\r\n").startswith("{\\rtf"):
        raise InputError("this .rtf is not a Rich Text Format file", file=path, expected=_EXPECTED, fix=_FIX)
    import codecs

    from striprtf.striprtf import rtf_to_text

    m = _CODEPAGE.search(raw[:4096])
    encoding = f"cp{m.group(1)}" if m else "cp1252"
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "cp1252"
    try:
        text = rtf_to_text(raw, encoding=encoding, errors="replace")
    except Exception as exc:  # noqa: BLE001 - striprtf raises several types on damaged markup (e.g. \u99999999999)
        raise InputError(f"the RTF markup could not be read ({type(exc).__name__})", file=path, expected=_EXPECTED,
                         fix=_FIX) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")

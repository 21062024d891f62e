"""Word .docx transcripts: one paragraph per block, speaker labels in the text."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lccode.errors import InputError


def read_docx_text(path: Path) -> str:
    """The paragraphs' text joined by blank lines; this joined text is what offsets refer to."""
    if not zipfile.is_zipfile(path):
        raise InputError("this .docx is not a Word document (a .docx is a zip archive, this file is not)", file=path,
                         expected="a Word .docx file",
                         fix="open it in Word or LibreOffice and 'Save as' .docx, or rename it if it is plain text (.txt)")
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise InputError(f"this .docx could not be read ({type(exc).__name__}: {exc})", file=path,
                         expected="a Word .docx file", fix="open and re-save it in Word or LibreOffice") from None
    paragraphs = [p.text.replace("\r", "") for p in document.paragraphs if p.text.strip()]
    if not paragraphs:
        raise InputError("the document has no text", file=path, expected="paragraphs with the transcript",
                         fix="check that this is the right file")
    return "\n\n".join(paragraphs)

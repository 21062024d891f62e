"""OpenDocument .odt transcripts (LibreOffice, and QualCoder's examples), read with odfpy: one paragraph per block."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lccode.errors import InputError


def read_odt_text(path: Path) -> str:
    """The paragraphs' and headings' text in document order, joined by blank lines (as for .docx)."""
    if not zipfile.is_zipfile(path):
        raise InputError("this .odt is not an OpenDocument text (an .odt is a zip archive, this file is not)", file=path,
                         expected="an OpenDocument .odt file",
                         fix="open it in LibreOffice or Word and 'Save as' .odt or .docx, or rename it if it is plain text")
    from odf import teletype
    from odf.opendocument import load

    try:
        doc = load(str(path))
    except Exception as exc:  # odfpy raises several types for damaged packages
        raise InputError(f"the .odt could not be read ({type(exc).__name__}: {exc})", file=path,
                         expected="an OpenDocument .odt file", fix="open and re-save it in LibreOffice or Word") from None
    paragraphs: list[str] = []

    def walk(node):
        for child in node.childNodes:
            if getattr(child, "qname", (None, None))[1] in ("p", "h"):
                text = teletype.extractText(child).replace("\r", "")
                if text.strip():
                    paragraphs.append(text)
            elif child.nodeType == child.ELEMENT_NODE:
                walk(child)

    walk(doc.text)
    if not paragraphs:
        raise InputError("the document has no text", file=path, expected="paragraphs with the transcript",
                         fix="check that this is the right file")
    return "\n\n".join(paragraphs)

"""Word .docx transcripts: one paragraph per block, speaker labels in the text.

A .docx is a zip archive, so it is checked before python-docx unpacks it: the members' declared sizes (which
zipfile enforces while reading) and count bound memory and time, and a document of over MAX_PARAGRAPHS
paragraphs is refused (python-docx needs about 50 microseconds per paragraph: 1.5 million took minutes, 50,000 take 2.5 s).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.archive import ZIP_ERRORS

MAX_DOCX_BYTES = 100 * 2**20     # the file itself (pictures included)
MAX_UNPACKED_BYTES = 300 * 2**20  # all members unpacked: python-docx reads every part into memory
MAX_XML_BYTES = 60 * 2**20        # word/document.xml unpacked
MAX_MEMBERS = 10_000
MAX_PARAGRAPHS = 50_000  # a three-hour meeting has a few thousand
_RESAVE = "open and re-save it in Word or LibreOffice"


def _check_archive(path: Path) -> None:
    from lccode.ingest.archive import check_package

    check_package(path, "Word document", "a Word .docx file", max_file=MAX_DOCX_BYTES, max_unpacked=MAX_UNPACKED_BYTES,
                  max_members=MAX_MEMBERS, max_part=MAX_XML_BYTES, part=lambda name: name == "word/document.xml",
                  fix="save the transcript without pictures, or split it into several files")


def _check_no_dtd(path: Path) -> None:
    """Word never writes a DOCTYPE: one in the document part is hostile (entities python-docx would silently drop,
    or expand), refused like in .odt and .xlsx files."""
    from lccode.ingest.archive import has_dtd

    try:
        with zipfile.ZipFile(path) as zf, zf.open("word/document.xml") as fh:
            head = fh.read(4096)
    except KeyError:
        return  # no document part: python-docx reports that below
    except ZIP_ERRORS as exc:
        raise InputError(f"this .docx could not be read ({exc})", file=path, expected="a Word .docx file",
                         fix=_RESAVE) from None
    if has_dtd(head):
        raise InputError("word/document.xml declares a DOCTYPE or entities, or holds no XML element", file=path,
                         expected="a Word .docx file as Word or LibreOffice save it", fix=_RESAVE)


def _blocks(document):
    """The body's paragraphs and table rows in document order (a transcript may be a table: ingest.tables)."""
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    from lccode.ingest.tables import table_lines

    for el in document.element.body.iterchildren():
        if el.tag == qn("w:p"):
            yield Paragraph(el, document).text.replace("\r", "")
        elif el.tag == qn("w:tbl"):
            yield from table_lines([_cells(row) for row in Table(el, document).rows])


def _cells(row) -> list[str]:
    """A table row's cells, a merged cell once (python-docx repeats it for every grid column it spans)."""
    seen, out = set(), []
    for cell in row.cells:
        if id(cell._tc) not in seen:
            seen.add(id(cell._tc))
            out.append(cell.text)
    return out


def read_docx_text(path: Path) -> str:
    """The paragraphs' text and the table rows' lines joined by blank lines; this joined text is what offsets
    refer to."""
    if not zipfile.is_zipfile(path):
        raise InputError("this .docx is not a Word document (a .docx is a zip archive, this file is not)", file=path,
                         expected="a Word .docx file",
                         fix="open it in Word or LibreOffice and 'Save as' .docx, or rename it if it is plain text (.txt)")
    _check_archive(path)
    _check_no_dtd(path)
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(str(path))
        body = document.element.body
        n = sum(1 for _ in body.iterchildren(qn("w:p"))) + sum(1 for _ in body.iter(qn("w:tr")))
        if n > MAX_PARAGRAPHS:
            raise InputError(f"the document has {n:,} paragraphs and table rows; lccode reads up to "
                             f"{MAX_PARAGRAPHS:,}", file=path,
                             expected="one interview or meeting per file", fix="split it into several files")
        paragraphs = [p for p in _blocks(document) if p.strip()]
    except InputError:
        raise
    except Exception as exc:  # python-docx and lxml raise several types for damaged packages
        raise InputError(f"this .docx could not be read ({type(exc).__name__}: {exc})", file=path,
                         expected="a Word .docx file", fix=_RESAVE) from None
    if not paragraphs:
        raise InputError("the document has no text", file=path, expected="paragraphs with the transcript",
                         fix="check that this is the right file")
    return "\n\n".join(paragraphs)

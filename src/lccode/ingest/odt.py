"""OpenDocument .odt transcripts (LibreOffice, and QualCoder's examples): one paragraph per block.

Read like a .docx, and bounded the same way: the package is checked before it is unpacked (file size, parts,
unpacked size, size of content.xml), content.xml is parsed with lxml without DTDs or entities and at most
MAX_XML_DEPTH levels deep, walked without recursion, and a document of over MAX_PARAGRAPHS paragraphs is refused.
A run of spaces (`<text:s text:c="N"/>`) is kept up to MAX_SPACES wide.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from lccode.errors import InputError

MAX_ODT_BYTES = 100 * 2**20     # the file itself (pictures included)
MAX_UNPACKED_BYTES = 300 * 2**20
MAX_XML_BYTES = 60 * 2**20        # content.xml unpacked
MAX_MEMBERS = 10_000
MAX_PARAGRAPHS = 50_000
MAX_SPACES = 1000
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TABLE = f"{{{_TABLE_NS}}}table"
_EXPECTED = "an OpenDocument .odt file"
_RESAVE = "open and re-save it in LibreOffice or Word"


def _local(tag) -> str | None:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else None


def _spaces(el) -> str:
    c = el.get(f"{{{_TEXT_NS}}}c", "")
    n = int(c) if c.isascii() and c.isdigit() and len(c) <= 6 else 1
    return " " * max(1, min(n, MAX_SPACES))


def _paragraph_text(p) -> str:
    """A paragraph's or heading's text as odfpy's teletype gives it: spaces, tabs and line breaks unwrapped,
    everything else (spans, links, notes) by its text, in document order; walked without recursion."""
    special = {f"{{{_TEXT_NS}}}line-break": "\n", f"{{{_TEXT_NS}}}tab": "\t"}
    out: list[str] = []
    stack: list = [p]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            continue
        if item is not p and item.tail:
            stack.append(item.tail)  # popped after the element's own text
        tag = item.tag
        if not isinstance(tag, str):  # a comment or processing instruction: only its tail is text
            continue
        if tag in special:
            stack.append(special[tag])
        elif tag == f"{{{_TEXT_NS}}}s":
            stack.append(_spaces(item))
        else:
            stack.extend(reversed(list(item)))
            if item.text:
                stack.append(item.text)
    return "".join(out)


def _check_count(count: int, path: Path) -> None:
    if count > MAX_PARAGRAPHS:
        raise InputError(f"the document has over {MAX_PARAGRAPHS:,} paragraphs; lccode reads up to "
                         f"{MAX_PARAGRAPHS:,}", file=path, expected="one interview or meeting per file",
                         fix="split it into several files")


def _table_rows(table, count: int, path: Path) -> tuple[list[list[str]], int]:
    """A table's rows as their cells' text (a cell's paragraphs on lines of their own, nested tables included), for
    ingest.tables; and the paragraph count with the cells' paragraphs added."""
    rows = []
    for row in table.iter(f"{{{_TABLE_NS}}}table-row"):
        if _owning_table(row) is not table:
            continue  # a row of a nested table: read as text of its cell below
        cells = []
        for cell in row.iterchildren(f"{{{_TABLE_NS}}}table-cell"):
            texts = []
            for p in cell.iter(f"{{{_TEXT_NS}}}p", f"{{{_TEXT_NS}}}h"):
                count += 1
                _check_count(count, path)
                texts.append(_paragraph_text(p).replace("\r", ""))
            cells.append("\n".join(t for t in texts if t.strip()))
        rows.append(cells)
    return rows, count


def _owning_table(el):
    while el is not None and el.tag != _TABLE:
        el = el.getparent()
    return el


def read_odt_text(path: Path) -> str:
    """The paragraphs' and headings' text and the table rows' lines (ingest.tables) in document order, joined by
    blank lines (as for .docx)."""
    if not zipfile.is_zipfile(path):
        raise InputError("this .odt is not an OpenDocument text (an .odt is a zip archive, this file is not)", file=path,
                         expected=_EXPECTED,
                         fix="open it in LibreOffice or Word and 'Save as' .odt or .docx, or rename it if it is plain text")
    from lccode.ingest.archive import check_package, has_dtd, parse_xml
    from lccode.ingest.tables import table_lines

    infos = check_package(path, "OpenDocument text", _EXPECTED, max_file=MAX_ODT_BYTES, max_unpacked=MAX_UNPACKED_BYTES,
                          max_members=MAX_MEMBERS, max_part=MAX_XML_BYTES, part=lambda name: name == "content.xml",
                          fix="save the transcript without pictures, or split it into several files")
    if not any(m.filename == "content.xml" for m in infos):
        raise InputError("the .odt has no content.xml (the part that holds the text)", file=path, expected=_EXPECTED,
                         fix=_RESAVE)
    try:
        with zipfile.ZipFile(path) as zf:
            data = zf.read("content.xml")
    except Exception as exc:  # noqa: BLE001 - zipfile raises several types for damaged members
        raise InputError(f"the .odt could not be read ({type(exc).__name__}: {exc})", file=path, expected=_EXPECTED,
                         fix=_RESAVE) from None
    where = f"{path}:content.xml"
    if has_dtd(data):
        raise InputError("content.xml declares a DOCTYPE or entities, or holds no XML element", file=where,
                         expected=_EXPECTED, fix=_RESAVE)
    root = parse_xml(data, where, _EXPECTED, _RESAVE)
    body = root.find(f"{{{_OFFICE_NS}}}body/{{{_OFFICE_NS}}}text")
    paragraphs: list[str] = []
    if body is not None:
        count = 0
        stack = [iter(body)]
        while stack:
            child = next(stack[-1], None)
            if child is None:
                stack.pop()
                continue
            if not isinstance(child.tag, str):
                continue
            if _local(child.tag) in ("p", "h"):
                count += 1
                _check_count(count, path)
                text = _paragraph_text(child).replace("\r", "")
                if text.strip():
                    paragraphs.append(text)
            elif child.tag == _TABLE:
                rows, count = _table_rows(child, count, path)
                paragraphs.extend(table_lines(rows))
            else:
                stack.append(iter(child))
    if not paragraphs:
        raise InputError("the document has no text", file=path, expected="paragraphs with the transcript",
                         fix="check that this is the right file")
    return "\n\n".join(paragraphs)

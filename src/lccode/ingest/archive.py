"""Zip packages (.docx, .odt, .xlsx, .qdpx) and the XML inside them, checked before a library unpacks them.

A zip member's declared size is what zipfile lets it unpack to (it stops a member that inflates past it), so the
declared sizes bound memory and time: a package whose parts are too many or too large is refused up front. XML
is parsed without loading DTDs, resolving entities or touching the network, and how deeply it nests is bounded
(the readers walk it in Python; a few thousand levels would exhaust the stack).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from lccode.errors import InputError

MAX_XML_DEPTH = 100  # a REFI code tree or an .odt list nests a handful of levels
_PROLOG_BYTES = 4096
_FIRST_ELEMENT = re.compile(rb"<[A-Za-z_]")
# what zipfile raises for a damaged archive or member: a corrupt deflate stream surfaces as zlib.error
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError)


def members(path: Path, what: str, expected: str, fix: str) -> list[zipfile.ZipInfo]:
    """The members of a zip package; InputError when it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as zf:
            return zf.infolist()
    except ZIP_ERRORS as exc:
        raise InputError(f"this {what} could not be read ({exc})", file=path, expected=expected, fix=fix) from None


def check_package(path: Path, what: str, expected: str, *, max_file: int, max_unpacked: int, max_members: int,
                  max_part: int, part=lambda name: name.endswith(".xml"), what_part: str = "text",
                  fix: str = "save it without pictures, or split it into several files") -> list[zipfile.ZipInfo]:
    """Refuse a package over `max_file` bytes, of over `max_members` parts, unpacking to over `max_unpacked`
    bytes, or with a part that `part` selects (the ones the reader parses) of over `max_part` bytes."""
    from lccode.ingest.decode import check_size

    check_size(path.stat().st_size, path, max_file, what)
    infos = members(path, what, expected, "open and re-save it")
    unpacked = sum(m.file_size for m in infos)
    largest = max((m.file_size for m in infos if part(m.filename)), default=0)
    if len(infos) > max_members or unpacked > max_unpacked or largest > max_part:
        raise InputError(f"this {what} unpacks to {unpacked / 2**20:.0f} MB in {len(infos)} parts ({what_part}: "
                         f"{largest / 2**20:.0f} MB), more than a transcript holds", file=path,
                         expected=f"at most {max_unpacked // 2**20} MB unpacked, {max_part // 2**20} MB of {what_part}",
                         fix=fix)
    return infos


def check_member_size(info: zipfile.ZipInfo, limit: int, where: str, what: str) -> None:
    if info.file_size > limit:
        raise InputError(f"{info.filename} unpacks to {info.file_size / 2**20:.0f} MB; lccode reads {what} of up to "
                         f"{limit / 2**20:.0f} MB", file=where, expected=f"{what} of at most {limit / 2**20:.0f} MB",
                         fix="split the project or the source into smaller ones")


def has_dtd(head: bytes) -> bool:
    """True when the start of an XML part declares a DOCTYPE or entities before its first element, or has no element
    in its first few kilobytes (office formats and REFI-QDA declare neither: a declaration is hostile)."""
    head = head[:_PROLOG_BYTES]
    m = _FIRST_ELEMENT.search(head)
    prolog = head[: m.start()] if m else head
    return m is None or b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog


def parse_xml(data: bytes, where, expected: str, fix: str, max_depth: int = MAX_XML_DEPTH):
    """An lxml element tree, entities left unresolved, no DTD or network access, at most `max_depth` levels deep."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        msg = getattr(exc, "msg", None) or str(exc)
        raise InputError(f"not valid XML: {msg}", file=where, line=getattr(exc, "lineno", None), expected=expected,
                         fix=fix) from None
    check_depth(root, where, expected, max_depth)
    return root


def check_depth(root, where, expected: str, max_depth: int = MAX_XML_DEPTH) -> None:
    stack = [(root, 1)]
    while stack:
        el, depth = stack.pop()
        if depth > max_depth:
            raise InputError(f"the XML nests more than {max_depth} levels deep", file=where,
                             line=getattr(el, "sourceline", None), expected=expected,
                             fix="export the file again from the tool that made it")
        stack.extend((child, depth + 1) for child in el)

"""The .qdpx package of a REFI-QDA project: finding and reading its project.qde and the text sources it embeds.

A .qdpx is a zip archive: its parts' declared sizes (which zipfile enforces while reading) are checked before they
are read. Media sources (audio, video, PDF) are never read, so the archive itself may be large. A text source's
text lies in the project's sources folder (`plainTextPath`) or, in some tools' exports, inside project.qde
(`PlainTextContent`). Used by the project import (`refi_read.py`) and the codebook import (`refi_codebook.py`).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.archive import ZIP_ERRORS

MAX_QDE_BYTES = 200 * 2**20      # project.qde unpacked
MAX_PROJECT_TEXT_BYTES = 200 * 2**20  # all text sources together
EXPORT_AGAIN = "export the project again from your QDA tool"


def open_qdpx(path: Path) -> tuple[zipfile.ZipFile, str]:
    """The open archive and the name of its project.qde, whose size is checked (not yet read)."""
    if not path.is_file():
        raise InputError("project file not found", file=path, expected="a REFI-QDA project (.qdpx)",
                         fix="check the path and the file name")
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError("not a REFI-QDA project file", file=path, expected="a .qdpx file (a zip with project.qde)",
                         fix="export the project from your QDA tool as 'REFI-QDA project (.qdpx)'") from None
    qde = [n for n in z.namelist() if n.lower().endswith(".qde")]
    if not qde:
        raise InputError("the .qdpx holds no project.qde", file=path, expected="project.qde and a Sources/ folder",
                         fix="export the whole project (not only the codebook) from your QDA tool")
    from lccode.ingest.archive import check_member_size

    check_member_size(z.getinfo(qde[0]), MAX_QDE_BYTES, str(path), "a project.qde")
    return z, qde[0]


def read_member(z: zipfile.ZipFile, name: str, path: Path) -> bytes:
    """A member's bytes; a damaged archive is an InputError, not a zipfile traceback."""
    try:
        return z.read(name)
    except ZIP_ERRORS as exc:
        raise InputError(f"{name} in the .qdpx could not be read ({exc})", file=path,
                         expected="a .qdpx file (a zip with project.qde)", fix=EXPORT_AGAIN) from None


def _member(z: zipfile.ZipFile, ref: str) -> str | None:
    """The zip member a source path names: `internal://X` lies in the project's sources folder, which tools spell
    `Sources/` (NVivo, lccode) or `sources/` (MAXQDA, QualCoder, the standard); names compare case-insensitively."""
    scheme, _, rest = ref.partition("://")
    member = (rest if _ else ref).lstrip("/").replace("\\", "/")
    if scheme.lower() == "relative" and _:
        return None  # outside the .qdpx, beside the project on the writer's disk
    names = {n.casefold(): n for n in z.namelist()}
    for cand in (f"sources/{member}", member):
        if cand.casefold() in names:
            return names[cand.casefold()]
    base = member.rsplit("/", 1)[-1].casefold()  # a tool that nests its folder one level deeper
    return next((n for n in z.namelist() if n.casefold().rsplit("/", 1)[-1] == base and "sources/" in n.casefold()), None)


def source_text(z: zipfile.ZipFile, el, path: Path, P: str) -> str:
    """The exact text of the TextSource element `el` (`P`: the project's XML namespace prefix), which its
    selections' positions count in."""
    name = el.get("name") or el.get("guid")
    ref = el.get("plainTextPath")
    if ref:
        found = _member(z, ref)
        if found is None:
            outside = ref.lower().startswith(("relative://", "absolute://", "file:"))
            raise InputError(f"text source '{name}' points at {ref}, which is not in the .qdpx", file=path,
                             field=f"TextSource {el.get('guid')} plainTextPath",
                             expected="the source text inside the project's sources folder (internal://...)",
                             fix=("the QDA tool linked this source instead of embedding it: embed or import the file "
                                  "into the project, then export again" if outside else
                                  "the .qdpx is incomplete: export the project again from your QDA tool, or unzip "
                                  "it and check that the sources folder holds this file"))
        from lccode.ingest.archive import check_member_size
        from lccode.ingest.decode import MAX_TEXT_BYTES

        check_member_size(z.getinfo(found), MAX_TEXT_BYTES, f"{path}:{found}", "a text source")
        data = read_member(z, found, path)
    else:
        content = el.find(f"{P}PlainTextContent")
        if content is None or content.text is None:
            raise InputError(f"text source '{name}' has no text", file=path, field="plainTextPath",
                             expected="plainTextPath or PlainTextContent", fix="export the project again")
        return content.text
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"the text of source '{name}' is not UTF-8 (byte {exc.start})", file=f"{path}:{found}",
                         expected="UTF-8 plain text, as REFI-QDA requires", fix="export the project again") from None
    # A byte-order mark (QualCoder writes one) is not part of the text the offsets count.
    return text[1:] if text.startswith("\ufeff") else text


def source_texts(z: zipfile.ZipFile, root, path: Path, P: str) -> Iterator[tuple[object, str]]:
    """Each TextSource element of project.qde `root` with its text, in document order. Lazy, so a caller checking
    each source as it comes refuses a broken one before later texts are read."""
    total = 0
    for src in root.iter(f"{P}TextSource"):
        text = source_text(z, src, path, P)
        total += len(text)
        if total > MAX_PROJECT_TEXT_BYTES:
            raise InputError(f"the project's text sources hold over {MAX_PROJECT_TEXT_BYTES // 2**20} MB of text",
                             file=path, expected=f"at most {MAX_PROJECT_TEXT_BYTES // 2**20} MB of text per import",
                             fix="export the project in parts (a few sources each) and import each")
        yield src, text

"""A codebook from a REFI-QDA project (`.qdpx`) or codebook (`.qdc`), as lccode's YAML codebook.

Top-level codes with children become categories (a codable top-level code is also a code of its own category);
codes at deeper levels keep their nesting as `parent`. Top-level codes without children go to one category
"codes". Ids come from lccode's own `[lccode id: ...]` marker when the codes came from lccode, otherwise from the
code names (lower case, `_` for anything else; unique). A code's Description becomes its definition, with its
colour kept; the written YAML is checked by the codebook loader before it is kept.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.archive import ZIP_ERRORS

_MARKER = re.compile(r"\s*\[lccode id: ([a-z][a-z0-9_]*)\]")


@dataclass(frozen=True)
class RefiCode:
    guid: str
    name: str
    codable: bool
    description: str
    color: str | None
    children: tuple["RefiCode", ...]


def _slug(name: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "_", ascii_.casefold()).strip("_")
    return s if s and s[0].isalpha() else f"c_{s}" if s else "code"


def read_codes(path: str | Path) -> list[RefiCode]:
    """The code tree of a .qdpx or .qdc."""
    from lxml import etree

    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path, expected="a REFI-QDA project (.qdpx) or codebook (.qdc)",
                         fix="check the path")
    from lccode.ingest.archive import parse_xml
    from lccode.ingest.decode import check_size
    from lccode.ingest.refi_archive import MAX_QDE_BYTES, open_qdpx

    if zipfile.is_zipfile(path):
        z, qde = open_qdpx(path)  # size-checked before it is read
        with z:
            try:
                xml, where = z.read(qde), f"{path}:{qde}"
            except ZIP_ERRORS as exc:
                raise InputError(f"{qde} could not be read ({exc})", file=path, expected="a REFI-QDA project",
                                 fix="export the project again from your QDA tool") from None
    else:
        check_size(path.stat().st_size, path, MAX_QDE_BYTES, "REFI-QDA codebook")
        xml, where = path.read_bytes(), path
    root = parse_xml(xml, where, "a REFI-QDA .qdc codebook or .qdpx project",
                     "export the codebook again from your QDA tool")
    ns = etree.QName(root).namespace
    P = f"{{{ns}}}" if ns else ""
    codes_el = root.find(f"{P}Codes") if etree.QName(root).localname == "CodeBook" else root.find(f"{P}CodeBook/{P}Codes")
    if codes_el is None or not len(codes_el):
        raise InputError("no codes in this file", file=where, field="CodeBook/Codes",
                         expected="a CodeBook with Code elements",
                         fix="export the project or codebook with its codes from your QDA tool")

    def code(el) -> RefiCode:
        color = el.get("color")
        return RefiCode(el.get("guid") or "", (el.get("name") or "").strip(), el.get("isCodable", "true") != "false",
                        (el.findtext(f"{P}Description") or "").strip(),
                        color if color and re.fullmatch(r"#[0-9A-Fa-f]{6}", color) else None,
                        tuple(code(c) for c in el.findall(f"{P}Code")))

    return [code(el) for el in codes_el.findall(f"{P}Code")]


def codebook_yaml(codes: list[RefiCode], cb_id: str, lang: str, title: str, source: str) -> str:
    """lccode's YAML codebook for a REFI code tree."""
    import yaml

    used: set[str] = set()

    def new_id(c: RefiCode) -> str:
        m = _MARKER.search(c.description)
        base = m.group(1) if m else _slug(c.name)
        out, n = base, 2
        while out in used:
            out, n = f"{base}_{n}", n + 1
        used.add(out)
        return out

    def entry(c: RefiCode, cid: str, parent: str | None) -> dict:
        definition = _MARKER.sub("", c.description).strip() or f"(no description in {source})"
        e = {"id": cid, "name": {lang: c.name or cid}, "definition": {lang: definition}}
        if parent:
            e["parent"] = parent
        if c.color:
            e["color"] = c.color
        return e

    def descend(c: RefiCode, parent: str | None, out: list):
        cid = new_id(c) if c.codable else None
        if cid:
            out.append(entry(c, cid, parent))
        for child in c.children:
            descend(child, cid or parent, out)

    categories, loose = [], []
    for top in codes:
        if not top.children:
            if top.codable:
                loose.append(entry(top, new_id(top), None))
            continue
        cat_codes: list = []
        descend(top, None, cat_codes)
        if not cat_codes:
            continue
        cat = {"id": new_id(top) if not top.codable else f"{cat_codes[0]['id']}_group", "name": {lang: top.name}}
        desc = _MARKER.sub("", top.description).strip()
        if desc:
            cat["description"] = {lang: desc}
        if top.color:
            cat["color"] = top.color
        cat["codes"] = cat_codes
        categories.append(cat)
    if loose:
        cid = "codes" if "codes" not in used else "codes_other"
        categories.append({"id": cid, "name": {lang: "Codes"}, "codes": loose})
    doc = {"id": cb_id, "version": "1", "title": {lang: title}, "languages": [lang], "categories": categories}
    head = f"# Codebook read from {source} by 'lccode codebook import'. Add definitions, criteria and examples.\n"
    return head + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def import_codebook(path: str | Path, out: str | Path, lang: str = "en", cb_id: str | None = None):
    """Write the YAML codebook for a .qdpx/.qdc to `out` (checked first); returns the loaded codebook."""
    from lccode.atomic import atomic_path
    from lccode.codebook import load_codebook

    path, out = Path(path), Path(out)
    if not re.fullmatch(r"[a-z]{2,3}", lang):
        raise InputError(f"bad language code '{lang}'", field="--lang", expected="a two-letter code such as en or nl",
                         fix="say which language the code names are in, e.g. --lang nl")
    codes = read_codes(path)
    text = codebook_yaml(codes, cb_id or _slug(path.stem).replace("_", "-"), lang, path.stem, path.name)
    with atomic_path(out) as tmp:
        tmp.write_text(text, encoding="utf-8")
        load_codebook(tmp)  # a codebook lccode cannot load is never written
    return load_codebook(out)

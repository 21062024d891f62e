"""The codebook: categories and codes, loaded from YAML and validated with line numbers.

The format serves any research group's codebook: any categories and codes, optional
hierarchy (`parent`), colours for exports, names and definitions per language.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from lccode.errors import InputError
from lccode.paths import default_codebook
from lccode.yamlcheck import Checker, check_keys, hex_color, lang_list, lang_text, mapping, plain, scalar_text

DEFAULT_CODEBOOK = default_codebook()
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_TOP_KEYS = {"id", "version", "title", "description", "languages", "categories"}
_CAT_KEYS = {"id", "name", "description", "color", "codes"}
_CODE_KEYS = {"id", "name", "definition", "include", "exclude", "examples", "color", "parent"}
MAX_CODEBOOK_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Code:
    id: str
    category: str
    name: dict[str, str]
    definition: dict[str, str]
    include: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    examples: dict[str, tuple[str, ...]] = field(default_factory=dict)
    color: str | None = None
    parent: str | None = None

    def label(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()))


@dataclass(frozen=True)
class Category:
    id: str
    name: dict[str, str]
    description: dict[str, str]
    color: str | None
    code_ids: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.name.get(lang) or next(iter(self.name.values()))


@dataclass(frozen=True)
class Codebook:
    id: str
    version: str
    title: dict[str, str]
    languages: tuple[str, ...]
    categories: tuple[Category, ...]
    codes: tuple[Code, ...]
    hash: str
    path: str | None = None
    description: dict[str, str] = field(default_factory=dict)

    @property
    def code_ids(self) -> list[str]:
        return [c.id for c in self.codes]

    def code(self, code_id: str) -> Code:
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(code_id)

    def category_of(self, code_id: str) -> Category:
        cat = self.code(code_id).category
        return next(c for c in self.categories if c.id == cat)

    @property
    def ref(self) -> str:
        """Short reference recorded in every output: id, version and content hash."""
        return f"{self.id}@{self.version}#{self.hash[:12]}"


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook; every problem is reported at once, with its YAML line."""
    path = Path(path) if path else DEFAULT_CODEBOOK
    root = _compose(path)
    chk = Checker(path)
    top = _top_level(chk, root)
    langs = _languages(chk, top["languages"][1])
    cb_id = scalar_text(chk, top["id"][1], "id") if "id" in top else "codebook"
    version = scalar_text(chk, top["version"][1], "version") if "version" in top else "0"
    title = lang_text(chk, top["title"][1], "title", langs) if "title" in top else {}
    desc = lang_text(chk, top["description"][1], "description", langs) if "description" in top else {}
    categories, codes, seen = _categories(chk, top["categories"][1], langs)
    _check_parents(chk, codes, seen)
    if chk.problems:
        raise InputError(problems=sorted(chk.problems, key=lambda p: p.line or 0))
    return Codebook(cb_id, version, title, langs, tuple(categories), tuple(codes), _content_hash(root), str(path), desc)


def _compose(path: Path):
    """The codebook's YAML node tree: a mapping, read within the size limit."""
    import yaml

    from lccode.ingest import yamlsafe
    from lccode.ingest.decode import read_text

    if path.is_dir():
        raise InputError("this is a folder, not a codebook file", file=path, expected="a YAML codebook file",
                         fix="name the .yaml file inside it, or omit it to use the bundled Learning Communities codebook")
    if not path.is_file():
        raise InputError("codebook file not found", file=path, expected="a YAML codebook file",
                         fix="check the path, or omit it to use the bundled Learning Communities codebook")
    raw = read_text(path, MAX_CODEBOOK_BYTES, "codebook")
    # aliases, foreign tags, deep nesting and duplicate keys are refused with their line before anything is built
    root = yamlsafe.compose(raw, path, "keys id, version, languages, categories")
    if not isinstance(root, yaml.MappingNode):
        raise InputError("the codebook must be a YAML mapping", file=path, expected="keys id, version, languages, categories")
    return root


def _top_level(chk: Checker, root) -> dict:
    """The top-level keys; without languages or categories nothing further can be checked."""
    top = mapping(root)
    check_keys(chk, root, _TOP_KEYS, "the codebook")
    for req in ("id", "languages", "categories"):
        if req not in top:
            chk.add(root, f"missing required key '{req}'", fix=f"add '{req}:' at the top level")
    if chk.problems and ("languages" not in top or "categories" not in top):
        raise InputError(problems=chk.problems)
    return top


def _languages(chk: Checker, node) -> tuple[str, ...]:
    import yaml

    if not isinstance(node, yaml.SequenceNode) or not node.value or not all(
            isinstance(n, yaml.ScalarNode) and str(n.value).strip() for n in node.value):
        chk.add(node, "languages must be a list of language codes", expected='languages: ["en", "nl"]',
                fix="write the languages as a list in square brackets")
        raise InputError(problems=chk.problems)  # every text is checked against them
    return tuple(str(n.value) for n in node.value)


def _categories(chk: Checker, node, langs) -> tuple[list[Category], list[Code], dict]:
    """The categories with their codes, and each code's YAML node by id (for problems found later)."""
    import yaml

    if not isinstance(node, yaml.SequenceNode) or not node.value:
        chk.add(node, "categories must be a non-empty list")
        raise InputError(problems=chk.problems)
    categories, codes, seen, cat_lines = [], [], {}, {}
    for cnode in node.value:
        if not isinstance(cnode, yaml.MappingNode):
            chk.add(cnode, "a category must be a mapping with id, name and codes")
            continue
        cat, cat_codes = _load_category(chk, cnode, langs, seen, cat_lines)
        categories.append(cat)
        codes += cat_codes
    return categories, codes, seen


def _load_category(chk: Checker, cnode, langs, seen: dict, cat_lines: dict) -> tuple[Category, list[Code]]:
    import yaml

    check_keys(chk, cnode, _CAT_KEYS, "a category")
    cm = mapping(cnode)
    cid = str(cm["id"][1].value) if "id" in cm else ""
    if not _ID.match(cid):
        chk.add(cnode, f"bad or missing category id '{cid}'", expected="lower-case letters, digits and _")
    elif cid in cat_lines:
        chk.add(cnode, f"duplicate category id '{cid}' (first on line {cat_lines[cid]})",
                fix="give every category a unique id")
    cat_lines.setdefault(cid, cnode.start_mark.line + 1)
    where = f"category {cid}"
    cname = lang_text(chk, cm["name"][1], f"{where} name", langs) if "name" in cm else {}
    if "name" not in cm:
        chk.add(cnode, f"{where} has no name", fix="add name: {en: ..., nl: ...}")
    cdesc = lang_text(chk, cm["description"][1], f"{where} description", langs, required=False) if "description" in cm else {}
    ccolor = hex_color(chk, cm.get("color", (None, None))[1], where)
    codes_node = cm["codes"][1] if "codes" in cm else None
    if codes_node is not None and not isinstance(codes_node, yaml.SequenceNode):
        chk.add(codes_node, f"{where} codes must be a list", expected="codes: followed by '- id: ...' entries")
        codes_node = None
    items = codes_node.value if codes_node is not None else []
    codes = [c for c in (_load_code(chk, n, cid, langs, seen) for n in items) if c]
    if "codes" not in cm or (codes_node is not None and not codes_node.value):  # not for rejected codes
        chk.add(cnode, f"{where} has no codes", fix="add at least one code under codes:")
    return Category(cid, cname, cdesc, ccolor, tuple(c.id for c in codes)), codes


def _check_parents(chk: Checker, codes: list[Code], seen: dict):
    known = {c.id for c in codes}
    for c in codes:
        if c.parent and c.parent not in known:
            chk.add(seen[c.id], f"code {c.id} names unknown parent '{c.parent}'", fix="use the id of another code")
        elif c.parent == c.id:
            chk.add(seen[c.id], f"code {c.id} is its own parent", fix="name another code as parent, or remove 'parent'")
    for cycle in _parent_cycles(codes):
        chk.add(seen[cycle[0]], f"codes {' -> '.join(cycle + [cycle[0]])} are each other's parents (a cycle)",
                expected="a hierarchy: following 'parent' always ends at a top-level code",
                fix=f"remove 'parent' from one of {', '.join(cycle)}")


def _content_hash(root) -> str:
    """sha256 of the codebook's content: comments, layout and key order do not change it."""
    canon = json.dumps(plain(root), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def _parent_cycles(codes) -> list[list[str]]:
    """Each loop of two or more codes that name each other as parents, once, in file order."""
    parent = {c.id: c.parent for c in codes if c.parent}
    cycles, done = [], set()
    for c in codes:
        path, node = [], c.id
        while node in parent and node not in done and node not in path:
            path.append(node)
            node = parent[node]
        if node in path and len(path) - path.index(node) > 1:
            cycles.append(path[path.index(node):])
        done.update(path)
    return cycles


def _load_code(chk: Checker, node, cat_id: str, langs, seen: dict) -> Code | None:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        chk.add(node, f"a code in category {cat_id} must be a mapping")
        return None
    check_keys(chk, node, _CODE_KEYS, "a code")
    m = mapping(node)
    cid = str(m["id"][1].value) if "id" in m else ""
    if not _ID.match(cid):
        chk.add(node, f"bad or missing code id '{cid}'", expected="lower-case letters, digits and _, e.g. sf_reciprocity")
        return None
    if cid in seen:
        chk.add(node, f"duplicate code id '{cid}' (first on line {seen[cid].start_mark.line + 1})",
                fix="give every code a unique id")
        return None
    seen[cid] = node
    where = f"code {cid}"
    for req in ("name", "definition"):
        if req not in m:
            chk.add(node, f"{where} has no {req}", fix=f"add {req}: {{en: ..., nl: ...}}")
    name = lang_text(chk, m["name"][1], f"{where} name", langs) if "name" in m else {}
    definition = lang_text(chk, m["definition"][1], f"{where} definition", langs) if "definition" in m else {}
    parent = None
    if "parent" in m:
        if not isinstance(m["parent"][1], yaml.ScalarNode):
            chk.add(m["parent"][1], f"{where} parent must be one code id", expected="parent: sf_trust")
        else:
            parent = str(m["parent"][1].value) or None
    return Code(
        cid, cat_id, name, definition,
        include=lang_list(chk, m.get("include", (None, None))[1], f"{where} include", langs),
        exclude=lang_list(chk, m.get("exclude", (None, None))[1], f"{where} exclude", langs),
        examples=lang_list(chk, m.get("examples", (None, None))[1], f"{where} examples", langs),
        color=hex_color(chk, m.get("color", (None, None))[1], where),
        parent=parent,
    )


def code_colors(cb: Codebook) -> dict[str, str]:
    """A colour per code: its own, else its category's, else a neutral grey."""
    cat_color = {c.id: c.color for c in cb.categories}
    return {c.id: c.color or cat_color.get(c.category) or "#888888" for c in cb.codes}

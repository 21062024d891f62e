"""Checks on the nodes of a composed YAML document (the codebook's): each problem is collected with its line.

Working on nodes rather than loaded values keeps every value's line, so a problem names where it is.
"""

from __future__ import annotations

import re
from pathlib import Path

from lccode.errors import Problem

_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_FIX_KEYS = "remove the key or correct its spelling"


class Checker:
    """Collects problems with their YAML line, so every problem in a file is reported at once."""

    def __init__(self, path: Path):
        self.path = path
        self.problems: list[Problem] = []

    def add(self, node, msg: str, expected: str | None = None, fix: str | None = None, field_: str | None = None):
        line = node.start_mark.line + 1 if node is not None else None
        self.problems.append(Problem(msg, self.path, line, field_, expected, fix))


def plain(node):
    """The node tree as plain dicts, lists and strings (what the content hash is computed over)."""
    import yaml

    if isinstance(node, yaml.MappingNode):
        return {k.value: plain(v) for k, v in node.value}
    if isinstance(node, yaml.SequenceNode):
        return [plain(v) for v in node.value]
    return node.value


def mapping(node) -> dict:
    """key -> (key node, value node), so problems can point at either line."""
    return {k.value: (k, v) for k, v in node.value}


def lang_text(chk: Checker, node, where: str, langs: tuple[str, ...], required: bool = True) -> dict[str, str]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        chk.add(node, f"{where} must map languages to text", expected="{en: \"...\", nl: \"...\"}")
        return {}
    out = {}
    for k, v in node.value:
        if not isinstance(v, yaml.ScalarNode) or not str(v.value).strip():
            chk.add(v, f"{where}.{k.value} must be non-empty text")
            continue
        out[k.value] = str(v.value)
    if required:
        for lang in langs:
            if lang not in out:
                chk.add(node, f"{where} has no '{lang}' text", expected=f"a '{lang}:' entry (the codebook declares languages {list(langs)})",
                        fix=f"add '{lang}: ...' to {where}")
    return out


def lang_list(chk: Checker, node, where: str, langs) -> dict[str, tuple[str, ...]]:
    import yaml

    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        chk.add(node, f"{where} must map languages to lists of text", expected="{en: [\"...\"], nl: [\"...\"]}")
        return {}
    out = {}
    for k, v in node.value:
        if not isinstance(v, yaml.SequenceNode) or not all(isinstance(i, yaml.ScalarNode) for i in v.value):
            chk.add(v, f"{where}.{k.value} must be a list of text")
            continue
        out[k.value] = tuple(str(i.value) for i in v.value)
    return out


def check_keys(chk: Checker, node, allowed: set[str], where: str):
    for k, _ in node.value:
        if k.value not in allowed:
            chk.add(k, f"unknown key '{k.value}' in {where}", expected=f"one of {sorted(allowed)}", fix=_FIX_KEYS)


def hex_color(chk: Checker, node, where: str) -> str | None:
    if node is None:
        return None
    if not _COLOR.match(str(node.value)):
        chk.add(node, f"bad colour '{node.value}' for {where}", expected="a hex colour like \"#1B9E77\"",
                fix="write the colour as # followed by six hex digits, in quotes")
        return None
    return str(node.value).upper()


def scalar_text(chk: Checker, node, key: str) -> str:
    """A top-level value that goes into every output's codebook reference: one piece of text."""
    import yaml

    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        chk.add(node, f"'{key}' must be a single value", expected=f"{key}: text (e.g. {key}: learning-communities)",
                fix=f"write one value after '{key}:'", field_=key)
        return key
    return str(node.value)

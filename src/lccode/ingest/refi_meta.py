"""Transcript ids and metadata for the text sources of a REFI-QDA project, from its cases and variables.

A source's community is the name of the case it belongs to, else its variable `community`, else the one the import
was given. Variables named `level`, `kind`, `language` and `date` (on the case or, overriding it, on the source)
fill in the rest where their values are ones lccode knows. The transcript id is the source's name without a
document extension, made safe and unique within the import.
"""

from __future__ import annotations

import re

from lccode.records import KINDS, LANGUAGE_LABELS, LEVELS, TranscriptMeta


def _slug(name: str) -> str:
    stem = re.sub(r"\.(txt|docx?|rtf|pdf)$", "", name.strip(), flags=re.I)
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-")


class SourceMeta:
    """The metadata of each TextSource of project.qde `root` (`P`: its XML namespace prefix). Ids are made unique
    in the order sources are asked for, so ask in document order for ids that do not depend on anything else."""

    def __init__(self, root, P: str, prefix: str = "", community: str | None = None):
        self._P, self._prefix, self._community = P, prefix, community
        self._variables = {v.get("guid"): (v.get("name") or "").casefold() for v in root.iter(f"{P}Variable")}
        self._case_of: dict[str, tuple[str, dict]] = {}
        for case in root.iter(f"{P}Case"):
            for ref in case.findall(f"{P}SourceRef"):
                self._case_of.setdefault(ref.get("targetGUID"), (case.get("name") or "unknown", self._values(case)))
        self._used_ids: set[str] = set()

    def _values(self, el) -> dict[str, str]:
        """Variable name (lower case) -> text value, for a Case or TextSource element."""
        P, out = self._P, {}
        for vv in el.findall(f"{P}VariableValue"):
            ref = vv.find(f"{P}VariableRef")
            name = self._variables.get(ref.get("targetGUID")) if ref is not None else None
            val = vv.findtext(f"{P}TextValue")
            if name and val:
                out[name] = val.strip()
        return out

    def meta(self, src) -> TranscriptMeta:
        name = src.get("name") or src.get("guid")
        case_name, case_vars = self._case_of.get(src.get("guid"), (None, {}))
        vals = case_vars | self._values(src)
        case_name = case_name or vals.get("community") or self._community or "unknown"
        tid = self._prefix + (_slug(name) or src.get("guid"))
        base, n = tid, 2
        while tid in self._used_ids:
            tid, n = f"{base}-{n}", n + 1
        self._used_ids.add(tid)
        level = vals.get("level") if vals.get("level") in LEVELS else None
        kind = vals.get("kind") if vals.get("kind") in KINDS else "interview"
        language = vals.get("language") if vals.get("language") in LANGUAGE_LABELS else "auto"
        return TranscriptMeta(tid, case_name, level, kind, vals.get("date"), language)

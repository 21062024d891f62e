"""The unit of a REFI-QDA project's `startPosition`/`endPosition`: Unicode code points or UTF-16 code units.

The standard counts code points (lccode, QualCoder and ATLAS.ti write those); NVivo, a .NET program, counts UTF-16
code units, so each character outside the Basic Multilingual Plane (emoji, some CJK) moves every later position by
one. The two readings differ only after such a character, and there the wrong one starts and ends selections
inside words. `detect_unit` reads every selection of a project both ways and keeps the reading with more
selections that lie inside the text, off surrogate halves and on word boundaries; a tie keeps code points.
"""

from __future__ import annotations

from dataclasses import dataclass

CODE_POINTS = "code points"
UTF16 = "UTF-16 code units"


@dataclass(frozen=True)
class UnitChoice:
    unit: str
    fits: dict[str, int]  # unit -> selections that start and end on word boundaries read that way
    selections: int  # selections in sources where the readings differ
    sources: int  # sources with characters outside the BMP

    def describe(self) -> str:
        if not self.selections:
            return "positions read as code points (no coded text comes after a character outside the BMP, so both units agree)"
        other = UTF16 if self.unit == CODE_POINTS else CODE_POINTS
        return (f"positions read as {self.unit}: {self.fits[self.unit]} of {self.selections} selections after a character "
                f"outside the BMP start and end on word boundaries that way, {self.fits[other]} as {other}")


def utf16_to_cp(text: str) -> dict[int, int]:
    """UTF-16 offset -> code point offset, for every offset that is not inside a surrogate pair."""
    out, u = {}, 0
    for i, ch in enumerate(text):
        out[u] = i
        u += 2 if ord(ch) > 0xFFFF else 1
    out[u] = len(text)
    return out


def has_astral(text: str) -> bool:
    return any(ord(ch) > 0xFFFF for ch in text)


def _on_boundary(text: str, pos: int) -> bool:
    if pos <= 0 or pos >= len(text):
        return True
    return not (text[pos - 1].isalnum() and text[pos].isalnum())


def _fits(text: str, start: int | None, end: int | None) -> bool:
    return (start is not None and end is not None and 0 <= start < end <= len(text)
            and _on_boundary(text, start) and _on_boundary(text, end))


def detect_unit(sources: list[tuple[str, list[tuple[int, int]]]]) -> UnitChoice:
    """`sources`: (text, [(start, end) as written]) per text source of one project."""
    fits = {CODE_POINTS: 0, UTF16: 0}
    n_sel = n_src = 0
    for text, spans in sources:
        if not has_astral(text):
            continue
        n_src += 1
        conv = utf16_to_cp(text)
        for start, end in spans:
            if conv.get(start) == start and conv.get(end) == end:
                continue  # before the first astral character both readings agree
            n_sel += 1
            fits[CODE_POINTS] += _fits(text, start, end)
            fits[UTF16] += _fits(text, conv.get(start), conv.get(end))
    unit = UTF16 if fits[UTF16] > fits[CODE_POINTS] else CODE_POINTS
    return UnitChoice(unit, fits, n_sel, n_src)

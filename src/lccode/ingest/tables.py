"""Transcripts laid out as a table in a .docx or .odt: one row per turn, with the speaker, the words and often a
time in columns of their own (NVivo's transcript export: Timespan | Content | Speaker; many transcribers' two-column
Speaker | Text tables).

Each row becomes one line of the document's text, written the way the plain-text parser reads a turn
("[0:12.5] Anna: ..."), so speakers and stamps follow the same rules as anywhere else and are never part of a segment.
"""

from __future__ import annotations

import re

from lccode.ingest.speakers import KNOWN_LABELS, STAMP, looks_like_name

# A time cell: "0:12.5", "00:01:23", "[00:01:23]", NVivo's span "0:00.0 - 0:12.5" (its start is the stamp).
_TIME = re.compile(rf"^\s*[\[(]?(?P<t>{STAMP})[\])]?(?:\s*[-–]\s*\S.*)?\s*$")
_HEADERS = {
    "time": {"timespan", "time", "tijd", "timestamp", "tijdstempel", "tijdcode", "timecode", "start", "begin", "tijdstip"},
    "speaker": {"speaker", "spreker", "name", "naam", "wie", "who", "participant", "deelnemer", "persoon", "person"},
    "text": {"content", "text", "tekst", "inhoud", "transcript", "transcriptie", "utterance", "uitspraak", "said",
             "gezegd", "words"},
}
_SHARE = 0.8  # of a column's filled cells that must look like times (or names) for the column to be read as such


def _by_header(first: list[str]) -> dict[str, int] | None:
    found = {}
    for i, cell in enumerate(first):
        for kind, words in _HEADERS.items():
            if cell.strip().rstrip(":").casefold() in words and kind not in found:
                found[kind] = i
    return found if "text" in found else None


def _speakerish(cell: str) -> bool:
    return len(cell) <= 60 and (looks_like_name(cell) or cell.casefold().rstrip(":") in KNOWN_LABELS)


def _by_content(rows: list[list[str]]) -> dict[str, int] | None:
    """Columns guessed from what they hold: times, short names, and the longest text."""
    width = len(rows[0])
    if not 2 <= width <= 4 or any(len(r) != width for r in rows):
        return None

    def share(col: int, test) -> float:
        filled = [r[col] for r in rows if r[col]]
        return sum(map(test, filled)) / len(filled) if filled else 0.0

    found: dict[str, int] = {}
    times = [c for c in range(width) if share(c, lambda x: bool(_TIME.match(x))) >= _SHARE]
    if times:
        found["time"] = times[0]
    rest = [c for c in range(width) if c not in found.values()]
    # A speaker column holds names that come back ("I", "R", "I", ...); a details block or an attendee list holds a
    # different label on every row and is no transcript.
    names = [c for c in rest if share(c, _speakerish) >= _SHARE and _recurring(r[c] for r in rows)]
    if names:
        found["speaker"] = names[0]
    rest = [c for c in rest if c != found.get("speaker")]
    if "speaker" not in found or not rest:
        return None
    found["text"] = max(rest, key=lambda c: sum(len(r[c]) for r in rows))
    return found


def _recurring(cells) -> bool:
    names = [c.casefold().rstrip(":") for c in cells if c]
    return len(names) >= 3 and len(set(names)) < len(names)


def _line(cells: list[str], cols: dict[str, int]) -> str:
    def get(kind: str) -> str:
        i = cols.get(kind)
        return " ".join(cells[i].split("\n")) if i is not None and i < len(cells) else ""

    text, speaker, time = get("text"), get("speaker").rstrip(":").strip(), _TIME.match(get("time"))
    if not text:
        return ""
    head = f"[{time.group('t')}] " if time else ""
    if speaker:
        speaker = speaker[:1].upper() + speaker[1:]  # a label opens with a capital ("interviewer" -> "Interviewer")
        head += f"{speaker}: "
    return head + text


def table_lines(rows: list[list[str]]) -> list[str]:
    """One line per row (its cells' text) of a transcript table; a table that is not one (a layout grid, a header
    block) gives its rows' cells joined, so no words are lost."""
    rows = [[c.replace("\r", "").strip() for c in cells] for cells in rows]
    rows = [cells for cells in rows if any(cells)]
    if not rows:
        return []
    cols = _by_header(rows[0])
    if cols is not None:
        rows = rows[1:]
    else:
        cols = _by_content(rows)
    if cols is None:
        return [" ".join(c for c in cells if c) for cells in rows]
    return [line for line in (_line(cells, cols) for cells in rows) if line]

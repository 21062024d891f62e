"""WebVTT and SubRip subtitles: cues become timed spans, voices become speakers.

Timing lines are not speech, so a subtitle transcript's text is its cue text: consecutive cues of one speaker
form a turn (joined by spaces), turns are separated by a blank line and start with "Name: ".

Speakers come from WebVTT voice tags (`<v Anna>`) or from a label opening the cue text ("ANNA: ...",
"[Anna] ...", Zoom's "Anna de Vries: ..."; see `_label_speakers`). A cue without either continues the previous
speaker's turn; one whose voice tag lacks its '>' is read as text without a speaker, with a warning.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import InputError
from lccode.ingest.speakers import KNOWN_LABELS, NAME, PROSE_WORDS, STAGE_WORDS, parse_seconds
from lccode.records import Turn

log = logging.getLogger(__name__)

_VTT_TIME = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}\.\d{3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}\.\d{3})(?:\s+.*)?$")
_SRT_TIME = re.compile(r"^\s*(\d{1,2}:\d{2}:\d{2},\d{3})\s+-->\s+(\d{1,2}:\d{2}:\d{2},\d{3})\s*$")
# [^<>] rather than [^>]: a tag never holds '<', and a cue of many unclosed "<v " would otherwise be rescanned
# to its end from every one of them (quadratic).
_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^<>]+)>")
# The opening of a voice tag that reaches the next tag or the end of the cue without its '>' ("<v Anna Hello").
_OPEN_VOICE = re.compile(r"<v(?:\.[\w.-]+)?\s(?=[^<>]*(?:<|$))")
# Markup tags (<b>, <i>, <c.yellow>, <font ...>) and WebVTT's timestamp tags inside a cue (<00:00:02.000>, as in
# automatic captions that time each word).
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<(?:\d+:)?\d{2}:\d{2}\.\d{3}>")
# Line ends: LF, CRLF, and CR alone (old Mac exports); a CR-only file is otherwise one long line.
_LINE_END = re.compile(r"\r\n|\r|\n")
_CUE_LABEL = re.compile(rf"^(?:\[({NAME})\]|({NAME}|[A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ0-9 .'\-]{{0,38}}):)\s*")


@dataclass
class Cue:
    line: int
    start: float
    end: float
    speaker: str | None
    text: str
    unknown: bool = False  # the speaker is not known (a broken voice tag): the cue does not continue the last turn


def _bad_cue(path, line, found, expected, fix):
    raise InputError(f"malformed subtitle cue: {found}", file=path, line=line, expected=expected, fix=fix)


def _cue_times(path, line: int, order_line: int, m: re.Match, form: str) -> tuple[float, float]:
    """Start and end of a cue's timing line `m`. `order_line` is where a cue that ends before it starts is reported
    (an .srt names the cue's number line there, as it always has)."""
    for stamp in m.groups():
        # Hours are not bounded (a long recording); a minute or second of 60 or more is a typing error, and would
        # silently shift the cue by an hour or a minute.
        if any(float(part) >= 60 for part in stamp.replace(",", ".").split(":")[-2:]):
            _bad_cue(path, line, f"minutes or seconds out of range in '{m.group(0).strip()[:60]}'",
                     f"{form} --> {form} with minutes and seconds below 60",
                     "correct the timestamps of this cue (00:01:30 rather than 00:00:90)")
    t0, t1 = parse_seconds(m.group(1)), parse_seconds(m.group(2))
    if t1 < t0:
        # Teams, Zoom and subtitle editors never write this; it is a typing error or a cut-and-paste of two cues.
        _bad_cue(path, order_line, f"cue ends before it starts ('{m.group(0).strip()[:60]}')",
                 "an end time at or after the start time", "correct the timestamps of this cue")
    return t0, t1


def _blocks(lines: list[str]):
    block, start = [], None
    for i, line in enumerate(lines, 1):
        if line.strip():
            if not block:
                start = i
            block.append(line.rstrip("\r"))
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


def _one_cue_per_block(path, start_line: int, block: list[str], first_text: int):
    """Cue text never holds a timing line: one there means the blank line between two cues is missing."""
    for i, line in enumerate(block[first_text:], first_text):
        if "-->" in line:
            _bad_cue(path, start_line + i, f"a second timing line inside one cue ('{line.strip()[:60]}')",
                     "one cue per block: (number,) timing line, text, then a blank line",
                     "put a blank line before each cue")


def _line_at(first_line: int, lines: list[str], pos: int) -> int:
    """The line number of character `pos` of `lines` joined by single spaces, the first being `first_line`."""
    line = first_line
    for text in lines[:-1]:
        if pos <= len(text):
            break
        pos -= len(text) + 1
        line += 1
    return line


def parse_vtt(text: str, path: Path) -> list[Cue]:
    import html

    lines = _LINE_END.split(text)
    if not lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError("a WebVTT file must start with the line 'WEBVTT'", file=path, line=1,
                         expected="WEBVTT", fix="add 'WEBVTT' and a blank line at the top, or save the file as .srt if it is SubRip")
    cues, broken = [], []
    for start_line, block in list(_blocks(lines))[1:]:
        if block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        idx = next((i for i, l in enumerate(block[:2]) if "-->" in l), None)
        if idx is None:
            _bad_cue(path, start_line, f"no timing line in '{block[0][:60]}'", "a line like 00:01:02.500 --> 00:01:07.900",
                     "add the timing line or remove the stray text")
        m = _VTT_TIME.match(block[idx])
        if not m:
            _bad_cue(path, start_line + idx, f"'{block[idx].strip()}'", "hh:mm:ss.mmm --> hh:mm:ss.mmm (dot before milliseconds)",
                     "correct the timestamps of this cue")
        t0, t1 = _cue_times(path, start_line + idx, start_line + idx, m, "HH:MM:SS.mmm")
        _one_cue_per_block(path, start_line, block, idx + 1)
        raw = " ".join(block[idx + 1:])
        unclosed = _OPEN_VOICE.search(raw)
        if unclosed:
            # Read, not refused: one broken tag should not cost the whole meeting. Where its name ends cannot be known
            # ("<v Anna de Vries Hallo"), so the cue keeps all its words, without a speaker rather than the last one's.
            broken.append(_line_at(start_line + idx + 1, block[idx + 1:], unclosed.start()))
            raw = _OPEN_VOICE.sub("", raw)
        voice = _VOICE.search(raw)
        # WebVTT writes '&', '<' and '>' in cue text as &amp; &lt; &gt; (and a non-breaking space as &nbsp;)
        body = " ".join(html.unescape(_TAG.sub("", raw)).split())
        if body:
            cues.append(Cue(start_line, t0, t1, " ".join(html.unescape(voice.group(1)).split()) or None if voice else None,
                            body, unknown=bool(unclosed) and not voice))
    if broken:  # file and line only: the tag holds a participant's name
        log.warning("%s:%d: %d WebVTT voice tag(s) without the closing '>'; read those cues as text without a speaker. "
                    "Add the '>' after each speaker's name to keep the speakers.", path, broken[0], len(broken))
    return _label_speakers(cues)


def parse_srt(text: str, path: Path) -> list[Cue]:
    if text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError("this is a WebVTT file (it starts with 'WEBVTT'), not SubRip", file=path, line=1,
                         expected="SubRip cues: a number, a timing line like 00:01:02,500 --> 00:01:07,900, text",
                         fix="rename the file to .vtt")
    cues = []
    for start_line, block in _blocks(_LINE_END.split(text)):
        lines = block[1:] if block[0].strip().isdigit() else block
        if not lines:
            _bad_cue(path, start_line, "a cue number with nothing after it", "a timing line and text", "remove the empty cue")
        m = _SRT_TIME.match(lines[0])
        if not m:
            _bad_cue(path, start_line + (len(block) - len(lines)), f"'{lines[0].strip()[:60]}'",
                     "a timing line like 00:01:02,500 --> 00:01:07,900 (comma before milliseconds)",
                     "correct the timing line; every cue is: number, timing line, text, blank line")
        t0, t1 = _cue_times(path, start_line + (len(block) - len(lines)), start_line, m, "HH:MM:SS,mmm")
        _one_cue_per_block(path, start_line, block, len(block) - len(lines) + 1)
        body = " ".join(_TAG.sub("", " ".join(lines[1:])).split())
        if body:
            cues.append(Cue(start_line, t0, t1, None, body))
    if not cues:
        raise InputError("no subtitle cues found", file=path, expected="numbered SubRip cues with timing lines",
                         fix="check that this is an .srt export")
    return _label_speakers(cues)


def _label_speakers(cues: list[Cue]) -> list[Cue]:
    """Take speaker labels off the cue text and give every cue its speaker.

    As in plain text, a label counts when it is bracketed, written in capitals, a role word (Interviewer, R), or
    opens at least two cues, so a one-off "Two: the floor slabs ..." stays text; when every cue opens with a label,
    each of them counts; a stage direction ("[Laughter]", "MUSIC:") never counts. Capitals become "Anna".
    """
    found = [_CUE_LABEL.match(c.text) for c in cues]
    names = [((m.group(1) or m.group(2)).strip(), m.group(1) is not None) if m else (None, False) for m in found]
    counts = Counter(n.casefold() for n, _ in names if n)
    # Zoom and other meeting tools open every cue with "Name: ", so there a speaker who speaks once is a speaker too.
    plain = [n for c, (n, _) in zip(cues, names) if not c.speaker and not c.unknown]
    throughout = bool(plain) and all(plain) and len({n.casefold() for n in plain} - STAGE_WORDS - PROSE_WORDS) >= 2
    out, speaker = [], None
    for cue, m, (name, bracketed) in zip(cues, found, names):
        body = cue.text
        key = (name or "").casefold()
        if name and key not in STAGE_WORDS and (bracketed or name.isupper() or key in KNOWN_LABELS or counts[key] >= 2
                                                or throughout and key not in PROSE_WORDS):
            speaker = name.title() if name.isupper() and len(name) > 1 else name
            body = body[m.end():]
        elif cue.speaker or cue.unknown:
            speaker = cue.speaker
        if body:
            out.append(Cue(cue.line, cue.start, cue.end, speaker, body))
    return out


def cues_to_transcript(cues: list[Cue]) -> tuple[str, list[Turn]]:
    parts: list[str] = []
    turns: list[Turn] = []
    pos = 0
    i = 0
    while i < len(cues):
        speaker = cues[i].speaker
        if parts:
            parts.append("\n\n")
            pos += 2
        if speaker:
            label = f"{speaker}: "
            parts.append(label)
            pos += len(label)
        start, timed = pos, []
        j = i
        while j < len(cues) and cues[j].speaker == speaker:
            if j > i:
                parts.append(" ")
                pos += 1
            parts.append(cues[j].text)
            timed.append((pos, pos + len(cues[j].text), cues[j].start, cues[j].end))
            pos += len(cues[j].text)
            j += 1
        turns.append(Turn(len(turns), speaker, start, pos, cues[i].start, cues[j - 1].end, ((start, pos),), tuple(timed)))
        i = j
    return "".join(parts), turns

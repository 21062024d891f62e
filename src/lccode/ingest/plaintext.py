"""Speaker turns in plain text (.txt, .md, and the paragraphs of a .docx)."""

from __future__ import annotations

from collections import Counter

from lccode.ingest.speakers import (
    BARE_HOURS,
    CUE_TIMING,
    KNOWN_LABELS,
    PROSE_WORDS,
    STAGE_WORDS,
    STAMP_AFTER,
    STAMP_BEFORE,
    TIMESTAMP_ONLY,
    TRAILING_STAMP,
    is_speaker_id,
    label_pattern,
    looks_like_name,
    match_label,
    parse_seconds,
)
from lccode.records import Turn


def _lines(text: str):
    pos = 0
    for raw in text.split("\n"):
        line = raw[:-1] if raw.endswith("\r") else raw
        yield pos, line
        pos += len(raw) + 1


def _cue_names(lines: list[str]) -> dict[int, tuple[str, float | None]]:
    """Line number -> (name, seconds) for a name alone on the first filled line after a cue timing (Teams' older
    .docx transcript: the timing, the speaker's name, then the words). A clock alone on a line is not enough: over
    a short answer ("Ja") or a diary entry ("Opstaan") it would make a speaker of words."""
    out, stamp = {}, None
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        if m := CUE_TIMING.match(line):
            stamp = parse_seconds(m.group(1))
            continue
        name = line.strip()
        if stamp is not None and len(name) <= 80 and not name.endswith((".", "?", "!", ",")) and looks_like_name(name):
            out[i] = (name, stamp)
        stamp = None
    return out


def _accepted_labels(text: str, named=None, manifest: set[str] = frozenset()) -> set[str]:
    """Labels used as speakers: labels the manifest names, role words, stamped labels, bracketed ids ("[id1]"),
    names that open at least two lines, and every name of a transcript labelled throughout.

    One "Note: ..." line must not become a speaker, so an unstamped name counts only when repeated or when every
    turn of the text opens with a label; a stage direction ("[Laughter]") never does.
    """
    counts, stamped = Counter(), set()
    lines = [line for _, line in _lines(text)]
    matches = [match_label(line, named) for line in lines]
    headers = [bool(m) and _name_and_stamp(line) for line, m in zip(lines, matches)]
    matches = _headers_with_words(lines, matches, headers)
    for line, m, header in zip(lines, matches, headers):
        if m:
            counts[m[0].casefold()] += 1
            if m[1] is not None and not header or line.lstrip().startswith("[") and is_speaker_id(m[0]):
                stamped.add(m[0].casefold())
    return _labelled_throughout(lines, matches) | {
        name for name, n in counts.items()
        if name in manifest or (n >= 2 or name in KNOWN_LABELS or name in stamped) and name not in STAGE_WORDS}


def _name_and_stamp(line: str) -> bool:
    return bool(STAMP_BEFORE.match(line) or STAMP_AFTER.match(line))


def _headers_with_words(lines: list[str], matches: list, headers: list[bool]) -> list:
    """`matches` without the name-and-stamp lines ("[00:12:31] Anna", "Anna [00:12:31]") that head no plain words:
    when the next filled line opens another turn or starts with a stamp of its own, the line was a short utterance
    ("[00:12:31] Klopt", "Ja. (00:00:12)"), not a speaker's name."""
    filled = [i for i, line in enumerate(lines) if line.strip()]
    nxt = dict(zip(filled, filled[1:]))

    def heads_words(i: int) -> bool:
        j = nxt.get(i)
        return j is not None and not matches[j] and not TIMESTAMP_ONLY.match(lines[j]) and not BARE_HOURS.match(lines[j])

    return [None if header and not heads_words(i) else m for i, (m, header) in enumerate(zip(matches, headers))]


def _labelled_throughout(lines: list[str], matches: list) -> set[str]:
    """The names of a transcript in which every turn opens with a label, so that a speaker who speaks once (a
    short exchange, "Anna: ...\n\nBob: ...") is still a speaker.

    Every paragraph opens with a label (every line, in a text without blank lines), after an unlabelled title; at
    least two of those labels are not prose or header words ("Note:", "Datum:"), which never count. So a paragraph
    of prose opening "Note:" is not a turn, nor is a "Two: ..." line inside a paragraph.
    """
    filled = [i for i, line in enumerate(lines) if line.strip()]
    paragraphs = any(b - a > 1 for a, b in zip(filled, filled[1:]))
    openers = [matches[i] for i in filled if not paragraphs or i == 0 or not lines[i - 1].strip()]
    first = next((k for k, m in enumerate(openers) if m), len(openers))  # after a title or heading
    if any(m is None for m in openers[first:]):
        return set()
    names = [n for n in (m[0].casefold() for m in openers[first:]) if n not in STAGE_WORDS and n not in PROSE_WORDS]
    return set(names) if len(names) >= 2 else set()


def used_labels(text: str, labels) -> set[str]:
    """Which of the given labels (a manifest's) open a turn in the text, case-folded."""
    named = label_pattern(labels)
    return {m[0].casefold() for _, line in _lines(text) if (m := match_label(line, named))} if named else set()


def _stamp_in_line(line: str):
    m = TIMESTAMP_ONLY.match(line)
    if not m:
        return None, 0
    stamp = m.group("ts1") or m.group("ts2") or m.group("ts3")
    return parse_seconds(stamp), m.end()


def parse_turns(text: str, named_labels=()) -> list[Turn]:
    """Speaker turns; `named_labels` (a manifest's roles) are speaker labels whatever their form."""
    named = label_pattern(named_labels)
    labels = _accepted_labels(text, named, {str(x).strip().casefold() for x in named_labels})
    turns: list[Turn] = []
    speaker, t0, blocks, cues = None, None, [], []
    block: list[int] | None = None

    def close_block():
        nonlocal block
        if block and block[1] > block[0]:
            blocks.append((block[0], block[1]))
        block = None

    def close_turn():
        nonlocal blocks, cues
        close_block()
        if blocks:
            turns.append(Turn(len(turns), speaker, blocks[0][0], blocks[-1][1], t0, None, tuple(blocks), tuple(cues)))
        blocks, cues = [], []

    lines = list(_lines(text))
    cue_names = _cue_names([line for _, line in lines])
    for i, (pos, line) in enumerate(lines):
        if not line.strip():
            close_block()
            continue
        if CUE_TIMING.match(line):
            close_block()  # the stamp goes with the name below it; the timing itself is not speech
            continue
        m = cue_names[i] + (len(line),) if i in cue_names else match_label(line, named)
        offset = 0
        if i in cue_names and m[0] == speaker and blocks:  # the same speaker's next cue continues the turn
            cues.append((pos + len(line), pos + len(line), m[1], None))
            continue
        if m and (i in cue_names or m[0].casefold() in labels):
            close_turn()
            speaker, t0, offset = m
            if t0 is not None:
                cues.append((pos + offset, pos + offset, t0, None))
        else:
            stamp, offset = _stamp_in_line(line)
            if stamp is not None:
                close_block()
                cues.append((pos + offset, pos + offset, stamp, None))
                if blocks == [] and block is None and t0 is None:
                    t0 = stamp
        content = line[offset:]
        lead = len(content) - len(content.lstrip())
        tail = TRAILING_STAMP.search(content)
        start, end = pos + offset + lead, pos + (offset + tail.start() if tail else len(line.rstrip()))
        if end <= start:
            continue
        if block is None:
            block = [start, end]
        else:
            block[1] = end
        if tail:  # the stamp closing this line is not speech: the next line starts a block of its own
            close_block()
    close_turn()
    return _with_end_times(turns)


def _with_end_times(turns: list[Turn]) -> list[Turn]:
    """A turn's stamps say when it began; the next stamp says when it ended."""
    out = []
    for i, t in enumerate(turns):
        nxt = next((u.t_start for u in turns[i + 1:] if u.t_start is not None), None)
        cues = []
        for j, (s, _e, ts, _te) in enumerate(t.cues):
            te = t.cues[j + 1][2] if j + 1 < len(t.cues) else nxt
            cues.append((s, t.cues[j + 1][0] if j + 1 < len(t.cues) else t.end_char, ts, te))
        out.append(Turn(t.index, t.speaker, t.start_char, t.end_char, t.t_start, nxt if t.t_start is not None else None,
                        t.blocks, tuple(cues)))
    return out

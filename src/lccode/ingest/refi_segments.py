"""The segments of a source coded in a QDA tool: its coded spans as the coder cut them, the segmenter's segments
for the text between them.

A coded span takes its speaker, times and language from the turn it starts in. A segment of the segmenter's that
overlaps a coded span is dropped, since the coder's cut is the one their codes apply to; the others stay, so text
no coding touches can still be coded in lccode (or stored as 'no code'). Indexes and keys are given afresh over
the merged list, in text order, so they read as if the segmenter had cut the text that way.
"""

from __future__ import annotations

from dataclasses import replace

from lccode.records import Segment, Transcript, Turn


def _turn_of(turns: list[Turn], start: int) -> Turn | None:
    best = None
    for t in turns:
        if t.start_char <= start:
            best = t
        else:
            break
    return best


def _with_auto_segments(tid: str, text: str, coded: list[Segment], auto: list[Segment]) -> tuple[list[Segment], set]:
    """Coded spans plus the segmenter's segments that overlap none of them, in text order, re-indexed and re-keyed.
    Returns the segments and the keys of the uncoded ones."""
    from lccode.segment import segment_key

    spans = sorted((s.start_char, s.end_char) for s in coded)
    free = [a for a in auto if not any(s < a.end_char and a.start_char < e for s, e in spans)]
    merged = sorted([(s, True) for s in coded] + [(a, False) for a in free], key=lambda x: (x[0].start_char, x[0].end_char))
    seen: dict[str, int] = {}
    out, uncoded = [], set()
    for i, (seg, is_coded) in enumerate(merged):
        new = replace(seg, index=i, key=segment_key(tid, seg.text, seen), context_before=None, context_after=None)
        out.append(new)
        if not is_coded:
            uncoded.add(new.key)
    return out, uncoded


def source_segments(tr: Transcript, spans, segmenter) -> tuple[list[Segment], set]:
    """The segments of `tr` given its coded `spans` ((start, end) in code points, sorted or not), and the keys of
    those no coding touches."""
    from lccode.segment import _times

    tid, text, turns, meta = tr.meta.id, tr.text, tr.turns, tr.meta
    langs = segmenter.turn_languages(tr)
    coded = []
    for start, end in sorted(spans):
        turn = _turn_of(turns, start)
        t0, t1 = _times(turn, start, end) if turn else (None, None)
        speaker = turn.speaker if turn else None
        lang = langs[turn.index] if turn else (meta.language if meta.language != "auto" else None)
        coded.append(Segment(tid, 0, start, end, text[start:end], speaker, meta.role_of(speaker),
                             turn.index if turn else None, lang, t0, t1))
    return _with_auto_segments(tid, text, coded, segmenter.segment(tr))

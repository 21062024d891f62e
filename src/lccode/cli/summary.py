"""The per-code summary printed after coding (not a command)."""

from __future__ import annotations


def print_code_summary(ws, lang: str = "en"):
    from collections import Counter

    from lccode.cli._util import table
    from lccode.workspace.decisions import effective_codes

    cb = ws.codebook()
    eff = effective_codes(ws)
    segs = {s.key: s for s in ws.segments()}
    counts, transcripts = Counter(), {}
    for key, info in eff.items():
        if key not in segs:
            continue
        for c in info.codes:
            counts[c] += 1
            transcripts.setdefault(c, set()).add(segs[key].transcript_id)
    n = len(segs) or 1
    rows = [[cb.category_of(c).label(lang), c, cb.code(c).label(lang), counts[c], f"{100 * counts[c] / n:.1f}%",
             len(transcripts.get(c, ()))] for c in cb.code_ids]
    with_code = sum(1 for key, info in eff.items() if key in segs and info.codes)
    table(f"Segments per code ({with_code} of {len(segs)} segments carry a code; {len(eff)} seen by the model or a person)",
          ["category", "code", "name", "segments", "share", "transcripts"], rows)

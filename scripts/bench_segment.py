"""Segmentation speed on the sample corpus, against a plain regex sentence splitter measured in the same run.

Run from the repository root:

    .venv/bin/python scripts/bench_segment.py            # 5 rounds over corpus_sample/
    .venv/bin/python scripts/bench_segment.py --rounds 20 --corpus path/to/folder

It reads the transcripts once (ingest time is printed apart), warms the spaCy pipelines up once (load time printed
apart), then times `Segmenter.segment_many` over all transcripts per round: segments/s and transcripts/s, median
of the rounds. The baseline splits the same turn blocks with one regular expression (split after . ! ? followed by
a space) and nothing else -- no tokenizer, no language detection, no filler filtering -- so the ratio says what
spaCy, language id and lccode's repairs cost over the cheapest possible splitter on this machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
_SENT_END = re.compile(r"(?<=[.!?])\s+")


def regex_split(transcripts) -> int:
    n = 0
    for tr in transcripts:
        for turn in tr.turns:
            for s, e in turn.blocks or ((turn.start_char, turn.end_char),):
                n += sum(1 for part in _SENT_END.split(tr.text[s:e]) if part.strip())
    return n


def timed(fn, rounds: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(rounds):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=REPO / "corpus_sample", help="folder of transcripts (+ manifest)")
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args(argv)

    from lccode.ingest import discover, read_transcript
    from lccode.segment import Segmenter

    t0 = time.perf_counter()
    transcripts = [read_transcript(p, m) for p, m in discover([args.corpus])]
    t_read = time.perf_counter() - t0
    chars = sum(len(tr.text) for tr in transcripts)

    segmenter = Segmenter()
    t0 = time.perf_counter()
    segmenter.segment_many(transcripts)  # loads spaCy and lingua once; later rounds measure segmentation alone
    t_warm = time.perf_counter() - t0

    t_spacy, segs = timed(lambda: segmenter.segment_many(transcripts), args.rounds)
    t_regex, n_regex = timed(lambda: regex_split(transcripts), args.rounds)
    n_spacy = sum(map(len, segs))

    print(f"corpus: {args.corpus} -- {len(transcripts)} transcripts, {chars:,} characters "
          f"(read in {t_read:.2f} s; first call incl. loading spaCy/lingua {t_warm:.2f} s)")
    print(f"median of {args.rounds} rounds:")
    print(f"  lccode Segmenter : {n_spacy:5d} segments in {t_spacy:.3f} s = {n_spacy / t_spacy:9,.0f} segments/s, "
          f"{len(transcripts) / t_spacy:7.1f} transcripts/s")
    print(f"  regex baseline   : {n_regex:5d} segments in {t_regex:.4f} s = {n_regex / t_regex:9,.0f} segments/s, "
          f"{len(transcripts) / t_regex:7.1f} transcripts/s")
    print(f"  ratio            : the Segmenter takes {t_spacy / t_regex:.0f}x the regex baseline's time "
          f"({(n_spacy / t_spacy) / (n_regex / t_regex):.3f} of its segments/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

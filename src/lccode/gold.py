"""Whole transcripts coded per speaker turn: the gold a research team measures the model against, and
transcript-shaped training data.

Format (UTF-8): a `.jsonl` file with one transcript per line, a `.json` file with one transcript, or a folder
of `.json` files. A transcript:

    {"id": "nl-gaserop-int-ruben", "community": "gas-erop", "level": "micro", "kind": "interview",
     "date": "2026-05-14", "language": "nl", "roles": {"Interviewer": "interviewer", "Ruben": "respondent"},
     "turns": [{"speaker": "Ruben", "text": "...", "codes": ["sf_interdependency"],
                "evidence": {"sf_interdependency": ["the sentence of the turn that carries the code"]}}]}

`codes` per turn are the gold. `evidence` (optional) quotes the exact sentences that carry each code; with it,
segment-level labels follow from the quotes, without it every segment of a coded turn is a candidate and only
turn-level figures are exact.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from lccode.data import Example
from lccode.errors import InputError, Problem
from lccode.records import KINDS, LEVELS, ROLES, Transcript, TranscriptMeta, Turn

_EXPECTED = '{"id", "language", "roles": {"Name": "role"}, "turns": [{"speaker", "text", "codes": [...]}]}'


@dataclass(frozen=True)
class GoldTurn:
    speaker: str
    text: str
    codes: tuple[str, ...]
    evidence: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class GoldTranscript:
    meta: TranscriptMeta
    turns: tuple[GoldTurn, ...]
    source: str

    def transcript(self) -> Transcript:
        """The transcript as `lccode add` would store it: "Speaker: text" turns, blank lines between them."""
        parts, turns, pos = [], [], 0
        for i, t in enumerate(self.turns):
            label = f"{t.speaker}: "
            start = pos + len(label)
            parts.append(label + t.text)
            turns.append(Turn(i, t.speaker, start, start + len(t.text), blocks=((start, start + len(t.text)),)))
            pos = start + len(t.text) + 2
        text = "\n\n".join(parts)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return Transcript(self.meta, text, tuple(turns), self.source, "gold", digest)


def load_gold(path: str | Path, code_ids: list[str]) -> list[GoldTranscript]:
    """Read and check gold transcripts; every problem in every file is reported at once."""
    from lccode.ingest.decode import read_text

    path = check_source(path)
    # read_text: the size bound, UTF-8 (or UTF-16/cp1252 with a warning) and binaries refused with the file named
    if path.is_dir():
        items = [(f, None, read_text(f, what="coded transcript")) for f in sorted(path.glob("*.json"))]
    else:
        text = read_text(path, what="coded transcript file")
        if path.suffix.lower() == ".jsonl":
            from lccode.ingest.tabular import json_lines

            items = [(path, n, line) for n, line in enumerate(json_lines(text), 1) if line.strip()]
        else:
            items = [(path, None, text)]
    problems: list[Problem] = []
    out = [g for f, n, raw in items if (g := _parse(raw, f, n, set(code_ids), problems)) is not None]
    ids = [g.meta.id for g in out]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(Problem(f"transcript id '{dup}' occurs more than once", path, None, "id", "unique ids",
                                "rename one of them"))
    if problems:
        raise InputError(problems=problems[:50])
    return out


def is_gold_transcripts(path: str | Path) -> bool:
    """True for a folder of .json files or a file whose first object has `turns` (not a segment JSONL)."""
    path = Path(path)
    if path.is_dir():
        return any(path.glob("*.json"))
    try:
        with path.open(encoding="utf-8") as fh:
            # A JSONL's first object is its first line, however long a whole transcript makes it.
            head = fh.readline(1 << 24) if path.suffix.lower() == ".jsonl" else fh.read(1 << 20)
    except (OSError, UnicodeDecodeError):
        return False
    return '"turns"' in head


def _parse(raw: str, path: Path, line: int | None, known: set[str], problems: list[Problem]) -> GoldTranscript | None:
    def bad(msg, field=None, expected=_EXPECTED, fix="correct the transcript"):
        problems.append(Problem(msg, path, line, field, expected, fix))

    try:
        obj = json.loads(raw)
    except (json.JSONDecodeError, RecursionError, ValueError) as exc:
        bad(f"not valid JSON ({getattr(exc, 'msg', exc)})")
        return None
    if not isinstance(obj, dict) or not isinstance(obj.get("turns"), list) or not obj["turns"]:
        bad("no list of turns", "turns")
        return None
    tid = obj.get("id")
    if not isinstance(tid, str) or not tid.strip():
        bad("no transcript id", "id", '"id": "a-unique-name"')
        return None
    level, kind, lang = obj.get("level"), obj.get("kind", "interview"), obj.get("language", "auto")
    if level is not None and level not in LEVELS:
        bad(f"unknown level {level!r}", "level", " | ".join(LEVELS))
    if kind not in KINDS:
        bad(f"unknown kind {kind!r}", "kind", " | ".join(KINDS))
    if lang not in ("nl", "en", "auto"):
        bad(f"unknown language {lang!r}", "language", "nl | en | auto")
    roles = obj.get("roles") or {}
    if not isinstance(roles, dict) or not all(isinstance(v, str) and v in ROLES for v in roles.values()):
        bad("roles must map each speaker label to a role", "roles", f"role one of {', '.join(ROLES)}")
        roles = {}
    turns = []
    for i, t in enumerate(obj["turns"]):
        where = f"turns[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("text"), str) or not t["text"].strip():
            bad("a turn without text", where + ".text")
            continue
        codes = t.get("codes", [])
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            bad("codes must be a list of code ids", where + ".codes", '["sf_reciprocity"]')
            continue
        unknown = [c for c in codes if c not in known]
        if unknown:
            bad(f"unknown code(s) {unknown}", where + ".codes", "ids from the codebook",
                "correct the id, or use the codebook these labels belong to")
            continue
        text = " ".join(t["text"].split())
        evidence = t.get("evidence") or {}
        if not isinstance(evidence, dict):
            bad("evidence must map a code to a list of quotes", where + ".evidence")
            evidence = {}
        ev = []
        for code, quotes in evidence.items():
            quotes = [" ".join(q.split()) for q in (quotes if isinstance(quotes, list) else [quotes]) if isinstance(q, str)]
            if code not in codes:
                bad(f"evidence for '{code}', which the turn does not carry", f"{where}.evidence.{code}")
            missing = [q for q in quotes if q not in text]
            if missing:
                bad(f"evidence quote not found in the turn: {missing[0][:60]!r}", f"{where}.evidence.{code}",
                    "an exact quote from the turn's text", "copy the sentence from the turn")
            ev.append((code, tuple(quotes)))
        speaker = str(t.get("speaker") or "").strip() or "Speaker"
        turns.append(GoldTurn(speaker, text, tuple(dict.fromkeys(codes)), tuple(ev)))
    meta = TranscriptMeta(tid.strip(), str(obj.get("community") or "unknown"), level, kind, obj.get("date"), lang,
                          tuple((str(k), v) for k, v in roles.items()))
    return GoldTranscript(meta, tuple(turns), f"{path}" + (f":{line}" if line else ""))


def segment_gold(gold: list[GoldTranscript], segmenter=None) -> list[tuple[GoldTranscript, Transcript, list]]:
    """Each transcript, as rendered, with its segments cut exactly as `lccode add` cuts them."""
    from lccode.segment import Segmenter

    segmenter = segmenter or Segmenter()
    rendered = [g.transcript() for g in gold]
    return list(zip(gold, rendered, segmenter.segment_many(rendered)))


def segment_codes(g: GoldTranscript, tr: Transcript, segments: list) -> list[tuple[str, ...]]:
    """Codes of each segment: those whose evidence quote covers most of it (or most of the quote).

    A code without evidence marks every segment of its turn; a quote that no segment covers well marks the
    segment that overlaps it most, so no turn-level code is lost at segment level."""
    out: list[set[str]] = [set() for _ in segments]
    by_turn: dict[int, list[int]] = {}
    for i, s in enumerate(segments):
        by_turn.setdefault(s.turn_index, []).append(i)
    for ti, (turn, span) in enumerate(zip(g.turns, tr.turns)):
        rows = by_turn.get(ti, [])
        evidence = dict(turn.evidence)
        for code in turn.codes:
            quotes = evidence.get(code)
            if not quotes:
                for r in rows:
                    out[r].add(code)
                continue
            for q in quotes:
                qs = span.start_char + turn.text.index(q)
                qe = qs + len(q)
                overlaps = [(max(0, min(qe, segments[r].end_char) - max(qs, segments[r].start_char)), r) for r in rows]
                hit = [r for o, r in overlaps
                       if o and o >= 0.5 * min(qe - qs, segments[r].end_char - segments[r].start_char)]
                if not hit and overlaps:
                    hit = [max(overlaps)[1]]
                for r in hit:
                    out[r].add(code)
    return [tuple(sorted(c)) for c in out]


def gold_examples(gold: list[GoldTranscript], segmenter=None) -> list[Example]:
    """Segment-level examples in transcript order, with their place in the transcript for the context head."""
    out = []
    for g, tr, segs in segment_gold(gold, segmenter):
        for s, codes in zip(segs, segment_codes(g, tr, segs)):
            out.append(Example(s.text, codes, s.lang, s.key, g.meta.community, g.meta.level, s.role,
                               g.meta.id, s.turn_index, g.meta.kind))
    return out


def check_source(path: str | Path) -> Path:
    """A path that can hold labelled data: an existing file, or a folder with .json transcripts in it."""
    path = Path(path)
    if path.is_dir() and not any(path.glob("*.json")):
        raise InputError("no .json transcripts in this folder", file=path, expected=_EXPECTED,
                         fix="give a folder of coded transcripts, one .json file each, or a .jsonl file")
    if not path.exists():
        raise InputError("file not found", file=path, expected="a segment .jsonl file, coded transcripts (.jsonl or "
                         ".json) or a folder of coded transcripts", fix="check the path")
    return path


def load_examples(path: str | Path, code_ids: list[str], segmenter=None) -> list[Example]:
    """Labelled segments from a segment JSONL (lccode.data) or from whole coded transcripts (this module)."""
    from lccode.data import load_jsonl

    check_source(path)
    if is_gold_transcripts(path):
        return gold_examples(load_gold(path, code_ids), segmenter)
    return load_jsonl(path, code_ids)

"""What the coding says per corpus, community, level, kind, language and speaker role.

Everything here starts from `effective_codes`, so a person's decision replaces the model's proposal in every
count, share and quote. Each figure carries the keys of the segments behind it, so it can be checked by hand.
Denominators are the segments that have been coded (by the model or a person); segments nobody coded yet are
counted separately (`CodedCorpus.unprocessed`) rather than silently treated as "no code".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from functools import cached_property
from itertools import combinations

DIMENSIONS = ("corpus", "community", "level", "kind", "language", "role")
NONE = "-"  # group value for missing metadata (no level, unknown role)
SHORT_QUOTE_WORDS = 6  # shorter segments rarely make a quote worth showing; they rank after longer ones


@dataclass(frozen=True)
class CodedSegment:
    key: str
    transcript_id: str
    index: int
    start_char: int
    end_char: int
    text: str
    speaker: str | None
    role: str | None
    turn_index: int | None
    lang: str | None
    t_start: float | None
    t_end: float | None
    community: str
    level: str | None
    kind: str
    codes: tuple[str, ...]
    source: str  # 'model' or 'analyst'
    probs: dict = field(default_factory=dict, compare=False)  # the model's probability per code, if it saw the segment
    analysts: tuple[str, ...] = ()
    disagreement: bool = False

    @property
    def reviewed(self) -> bool:
        return self.source == "analyst"

    def prob(self, code: str) -> float | None:
        return self.probs.get(code)

    def group(self, dimension: str) -> str:
        if dimension == "corpus":
            return "all"
        if dimension == "language":
            return self.lang or NONE
        return getattr(self, dimension) or NONE


@dataclass(frozen=True)
class Provenance:
    """What produced an output; written into every export."""

    lccode_version: str
    created_at: str
    workspace: str
    codebook_id: str
    codebook_version: str
    codebook_ref: str
    codebook_hash: str
    model_id: str | None
    model_hash: str | None
    model_name: str | None
    base_model: str | None
    coding_run: int | None
    coded_at: str | None
    dev_metrics: dict
    thresholds: dict
    transcripts: int
    segments: int
    coded_segments: int
    reviewed_segments: int

    @property
    def share_reviewed(self) -> float:
        return self.reviewed_segments / self.coded_segments if self.coded_segments else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {"share_reviewed": round(self.share_reviewed, 4)}


@dataclass(frozen=True)
class CodedCorpus:
    codebook: object
    segments: tuple[CodedSegment, ...]
    unprocessed: tuple[str, ...]  # keys of segments neither the model nor a person has coded
    transcripts: dict  # id -> {community, level, kind, language, date}
    provenance: Provenance


@dataclass(frozen=True)
class CodeCount:
    dimension: str
    group: str
    kind: str  # 'code' or 'category'
    code: str
    segments: int
    group_segments: int
    transcripts: int
    group_transcripts: int
    reviewed: int
    segment_keys: tuple[str, ...]

    @property
    def share_segments(self) -> float:
        return self.segments / self.group_segments if self.group_segments else 0.0

    @property
    def share_transcripts(self) -> float:
        return self.transcripts / self.group_transcripts if self.group_transcripts else 0.0

    @property
    def share_reviewed(self) -> float | None:
        return self.reviewed / self.segments if self.segments else None


@dataclass(frozen=True)
class CoOccurrence:
    unit: str  # 'segment' or 'turn'
    code_a: str
    code_b: str
    count: int  # units carrying both codes
    count_a: int
    count_b: int
    segment_keys: tuple[str, ...]  # the segments, in those units, that carry code_a or code_b

    @property
    def jaccard(self) -> float:
        union = self.count_a + self.count_b - self.count
        return self.count / union if union else 0.0


@dataclass(frozen=True)
class Exemplar:
    code: str
    community: str
    rank: int
    segment_key: str
    transcript_id: str
    speaker: str | None
    role: str | None
    t_start: float | None
    t_end: float | None
    start_char: int
    end_char: int
    text: str
    probability: float | None
    source: str


@dataclass(frozen=True)
class Summary:
    provenance: Provenance
    counts: tuple[CodeCount, ...]
    cooccurrence_segments: tuple[CoOccurrence, ...]
    cooccurrence_turns: tuple[CoOccurrence, ...]
    exemplars: tuple[Exemplar, ...]

    def groups(self, dimension: str) -> list[str]:
        return sorted({c.group for c in self.counts if c.dimension == dimension})

    @cached_property
    def _index(self) -> dict:
        return {(c.dimension, c.group, c.code): c for c in self.counts}

    def count(self, dimension: str, group: str, code: str) -> CodeCount:
        """The figures for one code or category id in one group, e.g. count('community', 'gas-erop', 'out_learning')."""
        return self._index[(dimension, group, code)]

    def table(self, dimension: str, kind: str = "code") -> list[CodeCount]:
        return [c for c in self.counts if c.dimension == dimension and c.kind == kind]

    def exemplars_for(self, community: str, code: str | None = None) -> list[Exemplar]:
        return [e for e in self.exemplars if e.community == community and (code is None or e.code == code)]


# -- loading -----------------------------------------------------------------------------------------

def load_corpus(ws, model_id: str | None = None) -> CodedCorpus:
    """Every segment with its final codes (people's decisions over the model's proposals) and its metadata."""
    from lccode import __version__
    from lccode.workspace import now
    from lccode.workspace.decisions import effective_codes

    cb = ws.codebook()
    model_id = ws.coded_model_id(model_id)
    order = {c: i for i, c in enumerate(cb.code_ids)}
    eff = effective_codes(ws, model_id)
    stored = {t.id: t for t in ws.transcripts()}
    all_segments = ws.segments()
    segs, unprocessed = [], []
    for s in all_segments:
        info = eff.get(s.key)
        if info is None:
            unprocessed.append(s.key)
            continue
        t = stored[s.transcript_id]
        # Codes of an older codebook version are left out rather than shown under a name that no longer exists.
        codes = tuple(sorted((c for c in set(info.codes) if c in order), key=order.get))
        lang = s.lang or (t.language if t.language in ("nl", "en") else None)
        segs.append(CodedSegment(
            s.key, s.transcript_id, s.index, s.start_char, s.end_char, s.text, s.speaker, s.role, s.turn_index, lang,
            s.t_start, s.t_end, t.community, t.level, t.kind, codes, info.source, dict(info.probs or {}),
            info.analysts, info.disagreement))
    transcripts = {t.id: {"community": t.community, "level": t.level, "kind": t.kind, "language": t.language,
                          "date": t.date} for t in stored.values()}
    run = ws.code_run(model_id) if model_id else None
    params = run.params if run else {}
    metrics = dict(params.get("dev_metrics") or {}, test=params.get("test_metrics") or {},
                   check=params.get("check_metrics") or {})
    prov = Provenance(
        __version__, now(), str(ws.root), cb.id, cb.version, cb.ref, cb.hash, model_id,
        run.model_hash if run else None, params.get("model_name"), params.get("base_model"),
        run.id if run else None, run.finished_at if run else None, metrics,
        params.get("thresholds") or {}, len(transcripts), len(all_segments), len(segs), sum(s.reviewed for s in segs))
    return CodedCorpus(cb, tuple(segs), tuple(unprocessed), transcripts, prov)


# -- figures -------------------------------------------------------------------------------------------

def code_counts(corpus: CodedCorpus, dimensions=DIMENSIONS) -> list[CodeCount]:
    """Per group of each dimension: per code and per category, segments and transcripts where it occurs."""
    cb = corpus.codebook
    items = [("code", c, {c}) for c in cb.code_ids] + [("category", cat.id, set(cat.code_ids)) for cat in cb.categories]
    out = []
    for dim in dimensions:
        groups: dict[str, list[CodedSegment]] = defaultdict(list)
        if dim == "corpus":
            groups["all"] = []  # present even before anything is coded, so reports can say "0"
        for s in corpus.segments:
            groups[s.group(dim)].append(s)
        for group in sorted(groups):
            segs = groups[group]
            n_tr = len({s.transcript_id for s in segs})
            for kind, item, members in items:
                hits = [s for s in segs if members.intersection(s.codes)]
                out.append(CodeCount(dim, group, kind, item, len(hits), len(segs), len({s.transcript_id for s in hits}),
                                     n_tr, sum(s.reviewed for s in hits), tuple(s.key for s in hits)))
    return out


def cooccurrence(corpus: CodedCorpus, unit: str = "segment") -> list[CoOccurrence]:
    """Pairs of codes on the same segment, or anywhere in the same speaker turn."""
    if unit not in ("segment", "turn"):
        from lccode.errors import InputError

        raise InputError(f"unknown co-occurrence unit {unit!r}", expected="segment | turn", fix="use 'segment' or 'turn'")
    units: dict[tuple, list[CodedSegment]] = defaultdict(list)
    for s in corpus.segments:
        if unit == "turn" and s.turn_index is not None:
            units[(s.transcript_id, s.turn_index)].append(s)
        else:
            units[(s.transcript_id, s.key)].append(s)
    order = {c: i for i, c in enumerate(corpus.codebook.code_ids)}
    per_code: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], list[list[CodedSegment]]] = defaultdict(list)
    for segs in units.values():
        codes = sorted({c for s in segs for c in s.codes}, key=order.get)
        for c in codes:
            per_code[c] += 1
        for a, b in combinations(codes, 2):
            pairs[(a, b)].append(segs)
    out = []
    for (a, b), hit_units in sorted(pairs.items(), key=lambda kv: (-len(kv[1]), order[kv[0][0]], order[kv[0][1]])):
        keys = tuple(s.key for segs in hit_units for s in segs if a in s.codes or b in s.codes)
        out.append(CoOccurrence(unit, a, b, len(hit_units), per_code[a], per_code[b], keys))
    return out


def _quote_rank(s: CodedSegment, code: str):
    p = s.prob(code)
    if p is None:
        p = 1.0 if s.reviewed else 0.0
    return (not s.reviewed, len(s.text.split()) < SHORT_QUOTE_WORDS, -p, s.transcript_id, s.index)


def exemplars(corpus: CodedCorpus, per: int = 3) -> list[Exemplar]:
    """Best quotes per code and community: reviewed ones first, then the model's most confident."""
    by: dict[tuple[str, str], list[CodedSegment]] = defaultdict(list)
    for s in corpus.segments:
        for c in s.codes:
            by[(s.community, c)].append(s)
    order = {c: i for i, c in enumerate(corpus.codebook.code_ids)}
    out = []
    for community, code in sorted(by, key=lambda k: (k[0], order[k[1]])):
        ranked = sorted(by[(community, code)], key=lambda s: _quote_rank(s, code))
        for rank, s in enumerate(ranked[:per], 1):
            out.append(Exemplar(code, community, rank, s.key, s.transcript_id, s.speaker, s.role, s.t_start, s.t_end,
                                s.start_char, s.end_char, s.text, s.prob(code), s.source))
    return out


def summarize(corpus: CodedCorpus, exemplars_per: int = 3) -> Summary:
    return Summary(corpus.provenance, tuple(code_counts(corpus)), tuple(cooccurrence(corpus, "segment")),
                   tuple(cooccurrence(corpus, "turn")), tuple(exemplars(corpus, exemplars_per)))

"""Transcripts to segments with spaCy, keeping exact character offsets into the transcript text.

Speaker turns and paragraphs are hard boundaries; labels and timestamps are never inside a segment;
segments made only of hesitations ("eh...", "uhm", "ja") and stage directions ("(lacht)", "[inaudible]") are
dropped. With unit "turn" a segment is a speaker turn, split only where a timestamp stands inside it.

Sentences: an ellipsis ("eh... dat") is a hesitation, not a sentence end. Repairs to spaCy's rule-based
sentencizer (see `_sentence_spans`): an opening bracket or quote goes with the sentence it opens; a full stop
followed by a lower-case word or a number is an abbreviation ("approx. 20", "1 jan. 2024"), not a sentence end,
while a Dutch word spaCy takes for an abbreviation ("dat.", "bel.") before a capital does end the sentence.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from lccode.errors import InputError
from lccode.records import LANGUAGE_LABELS, Segment, Transcript

log = logging.getLogger(__name__)

UNITS = ("sentence", "turn")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
FILLERS = {
    "eh", "ehm", "euh", "uh", "uhm", "um", "umm", "hm", "hmm", "mm", "mhm", "mmm", "ah", "oh", "oké", "ok", "okay",
    "nou", "ja", "jaja", "nee", "yes", "yeah", "yep", "no", "right", "so", "dus", "well", "tja", "hè", "he", "zo",
    "huh", "uhh", "ehh", "ahh", "aha", "hmhm", "ahum",
}
# A stage direction is a short bracketed note: "(lacht)", "(both laugh)", "[inaudible]", "[onverstaanbaar 00:12]".
# Words are separated by required whitespace: "(?:[^()\s]+\s*){1,3}" could split one long word three ways and
# took 34 s on "(" + 2,000 letters; this form is linear.
_STAGE = re.compile(r"\([^()\s]+(?:\s+[^()\s]+){0,2}\s*\)|\[[^\[\]\s]+(?:\s+[^\[\]\s]+){0,2}\s*\]")
# spaCy handles one document of up to 1,000,000 characters (error E088 beyond), and its tokenizer is quadratic in
# the length of a run without whitespace that it peels prefixes or suffixes off ("[[[[...Henk]]]]": 20 s for 16,000
# brackets). So a block is cut into pieces of at most MAX_DOC_CHARS (at a paragraph, a sentence end or a space,
# see `chunks`), and every run of over MAX_RUN non-space characters is masked, length kept, before spaCy sees it.
MAX_DOC_CHARS = 100_000
MAX_RUN = 64
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_CUT_AT = (re.compile(r"\n\s*\n"), re.compile(r"[.!?…][\"'”’)\]]*\s+"), re.compile(r"\n"), re.compile(r"\s+"))
# Language detection reads this much of a turn: plenty to tell Dutch from English, and lingua is linear in it.
DETECT_CHARS = 20_000


def is_filler(text: str) -> bool:
    """True for text with nothing to code: only hesitations, backchannels and stage directions."""
    words = _WORD.findall(_STAGE.sub(" ", text).casefold())
    return all(w in FILLERS for w in words)


def segment_key(transcript_id: str, text: str, seen: dict[str, int]) -> str:
    """A key that survives re-segmentation of an edited transcript for every unchanged segment."""
    digest = hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:10]
    n = seen.get(digest, 0)
    seen[digest] = n + 1
    return f"{transcript_id}#{digest}" + (f"~{n}" if n else "")


@dataclass
class Segmenter:
    unit: str = "sentence"
    context: int = 0
    batch_size: int = 256
    spacy_models: dict | None = None  # e.g. {"nl": "nl_core_news_sm"}; default: blank + sentencizer

    def __post_init__(self):
        if self.unit not in UNITS:
            raise InputError(f"unknown segment unit '{self.unit}'", field="--unit", expected=" | ".join(UNITS),
                             fix="use --unit sentence (the default) or --unit turn (a whole speaker turn)")
        if self.context < 0:
            raise InputError(f"context must be 0 or more neighbouring segments, not {self.context}", field="--context",
                             expected="a whole number >= 0", fix="use --context 2 (the default), or 0 for none")
        self._nlp = {}

    def nlp(self, lang: str):
        if lang not in self._nlp:
            self._nlp[lang] = _pipeline(lang, (self.spacy_models or {}).get(lang))
        return self._nlp[lang]

    def turn_languages(self, tr: Transcript) -> list[str]:
        from lccode.language import detect

        if tr.meta.language in LANGUAGE_LABELS:
            return [tr.meta.language] * len(tr.turns)
        overall = detect(tr.text[:5000])
        return [detect(tr.text[t.start_char:min(t.end_char, t.start_char + DETECT_CHARS)], default=overall)
                for t in tr.turns]

    def segment(self, tr: Transcript) -> list[Segment]:
        return self.segment_many([tr])[0]

    def segment_many(self, transcripts: list[Transcript]) -> list[list[Segment]]:
        # Spans to split, grouped by language so each spaCy pipeline runs over one batched stream.
        jobs: dict[str, list[tuple[int, int, int, int]]] = {}
        results: list[list[tuple]] = [[] for _ in transcripts]
        for ti, tr in enumerate(transcripts):
            langs = self.turn_languages(tr)
            for turn, lang in zip(tr.turns, langs):
                blocks = turn.blocks or ((turn.start_char, turn.end_char),)
                if tr.presegmented or self.unit == "turn":
                    spans = _turn_spans(tr.text, blocks) if self.unit == "turn" else list(blocks)
                    results[ti].extend((s, e, turn, lang) for s, e in spans)
                else:
                    jobs.setdefault(lang, []).extend((ti, turn.index, a, b) for s, e in blocks
                                                     for a, b in chunks(tr.text, s, e))
        for lang, spans in jobs.items():
            texts = (_masked(transcripts[ti].text[s:e]) for ti, _, s, e in spans)
            for (ti, turn_index, s, _e), doc in zip(spans, self.nlp(lang).pipe(texts, batch_size=self.batch_size)):
                turn = transcripts[ti].turns[turn_index]
                for a, b in _sentence_spans(doc):
                    results[ti].append((s + a, s + b, turn, lang))
        return [self._records(tr, sorted(res, key=lambda r: r[0])) for tr, res in zip(transcripts, results)]

    def _records(self, tr: Transcript, spans: list[tuple]) -> list[Segment]:
        out: list[Segment] = []
        seen: dict[str, int] = {}
        for start, end, turn, lang in spans:
            text = tr.text[start:end]
            stripped = text.strip()
            if not stripped or is_filler(stripped) or _label_only(stripped):
                continue
            start += len(text) - len(text.lstrip())
            end = start + len(stripped)
            t0, t1 = _times(turn, start, end)
            out.append(Segment(
                tr.meta.id, len(out), start, end, stripped, turn.speaker, tr.meta.role_of(turn.speaker),
                turn.index, lang, t0, t1, segment_key(tr.meta.id, stripped, seen),
            ))
        if self.context:
            out = with_context(out, self.context)
        log.debug("segmented %s into %d segments", tr.meta.id, len(out))
        return out


def chunks(text: str, start: int, end: int, size: int = MAX_DOC_CHARS) -> list[tuple[int, int]]:
    """`text[start:end]` as consecutive spans of at most `size` characters, cut at the last paragraph break, else
    sentence end, else line break, else space in the second half of each piece; a hard cut only inside one word
    of over size/2 characters. A turn of normal length is one span, so this changes nothing for it."""
    out = []
    while end - start > size:
        cut = None
        for pattern in _CUT_AT:
            ends = [m.end() for m in pattern.finditer(text, start + size // 2, start + size)]
            if ends:
                cut = ends[-1]
                break
        cut = cut or start + size
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def _masked(text: str) -> str:
    """The text with every long run of non-space characters replaced, length and both ends kept, by letters.

    Offsets stay valid (same length); the kept ends still show spaCy a sentence's final full stop or an opening
    bracket, while the middle, where the quadratic cost would be, is one plain word.
    """
    if len(text) <= MAX_RUN:
        return text
    return _LONG_RUN.sub(lambda m: m.group()[:8] + "x" * (len(m.group()) - 16) + m.group()[-8:], text)


def _label_only(text: str) -> bool:
    """A segment that is only a speaker label ("Henk:"), e.g. a name used once with nothing after it."""
    from lccode.ingest.speakers import match_label

    if len(text) > 200 or not text.endswith((":", "]")):
        return False
    m = match_label(text)
    return m is not None and m[2] == len(text)


def _turn_spans(text: str, blocks) -> list[tuple[int, int]]:
    """A turn's paragraphs joined into one span, split only where a timestamp sits between them."""
    spans = [list(blocks[0])]
    for s, e in blocks[1:]:
        if text[spans[-1][1]:s].strip():
            spans.append([s, e])
        else:
            spans[-1][1] = e
    return [(s, e) for s, e in spans]


@lru_cache(maxsize=8)
def _pipeline(lang: str, name: str | None):
    """One spaCy pipeline per language and process: building even a blank Dutch one takes most of a second."""
    import spacy

    if name:
        return spacy.load(name, exclude=["ner", "lemmatizer"])
    nlp = spacy.blank("xx" if lang == "other" else lang)  # 'other': spaCy's multi-language tokenizer
    nlp.add_pipe("sentencizer")
    return nlp


_OPENERS = set("([{\"'“‘«„‹")
# spaCy's Dutch tokenizer keeps "dat." "bel." "me." "enz." as abbreviations, so "Zo ging dat. Ik ..." would not
# split. A one-word abbreviation before a capital ends the sentence, except for these, which precede names.
_NAME_ABBREVIATIONS = {
    "dhr", "mevr", "mw", "mej", "dr", "drs", "ir", "ing", "prof", "mr", "mrs", "ms", "st", "jhr", "mgr", "gen", "gov",
    "sen", "rep", "rev", "jr", "sr", "bijv", "bv", "vgl", "zgn", "ca", "nr", "blz", "resp", "evt", "vs",
}


def _is_sentence_start(doc, i: int, sentencizer_says: bool) -> bool:
    prev, first = doc[i - 1].text, doc[i].text[:1]
    if not prev.endswith(".") or prev.endswith(".."):
        return sentencizer_says
    if first.islower() or first.isdigit():
        return False  # "approx. 20 minutes", "1 jan. 2024": an abbreviation, not a sentence end
    stem = prev[:-1]
    if (first.isupper() and len(stem) > 1 and stem.isalpha() and stem.casefold() not in _NAME_ABBREVIATIONS):
        return True
    return sentencizer_says


def _sentence_spans(doc) -> list[tuple[int, int]]:
    """Character spans of the doc's sentences, with the repairs described in the module docstring."""
    said = {sent.start for sent in doc.sents}
    fixed = [0]
    for i in range(1, len(doc)):
        if not _is_sentence_start(doc, i, i in said):
            continue
        # An opener the sentencizer left at the end ("wel. (lacht)"): attached to the next word, spaced before.
        while (i - 1 > fixed[-1] and doc[i - 1].text in _OPENERS and not doc[i - 1].whitespace_
               and doc[i - 2].whitespace_):
            i -= 1
        if i > fixed[-1]:
            fixed.append(i)
    bounds = fixed + [len(doc)]
    return [(doc[a].idx, doc[b - 1].idx + len(doc[b - 1].text)) for a, b in zip(bounds, bounds[1:]) if b > a]


def with_context(segments: list[Segment], n: int) -> list[Segment]:
    out = []
    for i, s in enumerate(segments):
        before = " ".join(x.text for x in segments[max(0, i - n):i]) or None
        after = " ".join(x.text for x in segments[i + 1:i + 1 + n]) or None
        out.append(replace(s, context_before=before, context_after=after))
    return out


def _times(turn, start: int, end: int) -> tuple[float | None, float | None]:
    """Time of the cue holding the segment's start, and the end of the cue holding its end."""
    if not turn.cues:
        return turn.t_start, turn.t_end
    t0 = next((c[2] for c in reversed(turn.cues) if c[0] <= start), turn.cues[0][2])
    t1 = next((c[3] for c in turn.cues if c[1] >= end), turn.cues[-1][3])
    return t0, t1

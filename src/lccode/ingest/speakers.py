"""Speaker labels and timestamps as transcribers write them, and the roles behind them."""

from __future__ import annotations

import re

# [00:12:31] (00:12) #00:12:31.200# -- at the start of a turn: before the label, after it, or between the name and
# its colon ("Henk (00:12:31): ...").
_FRAC = r"(?:[.,]\d{1,3})?"
_HMS = r"(?:\d{1,2}:)?\d{1,2}:\d{2}"
# A stamp as a transcriber writes it, inside brackets or in a table cell: "12:31", "00:12:31.200".
STAMP = rf"{_HMS}{_FRAC}"
# A bare clock (no brackets) only in the h:mm:ss form transcription tools write; "09:00 Opening:" is an agenda.
_HOURS = rf"\d{{1,2}}:\d{{2}}:\d{{2}}{_FRAC}"
# f4transkript (common in German and Dutch qualitative research) writes tenths after a hyphen: "#00:01:23-4#".
_TS = (rf"(?:\[(?P<ts1>{STAMP})\]|\((?P<ts2>{STAMP})\)|#(?P<ts3>{_HMS}(?:[.,-]\d{{1,3}})?)#)")
# A capitalised name of up to four words, Dutch/German particles allowed inside ("Jan van der Berg"); a later word
# may be a bracketed note ("Respondent (Henk)") but not a timestamp ("Henk (00:12)" is name + stamp).
_PARTICLES = r"(?:van|de|der|den|ter|ten|te|het|'t|op|von|zu|da|di|du|la|le)"
# Every repetition is bounded, so matching a label costs the same on a 50 MB line as on a short one.
NAME = rf"[A-ZÀ-ÖØ-Þ][\w'’.\-]{{0,40}}(?: (?:{_PARTICLES} ){{0,3}}(?:[A-ZÀ-ÖØ-Þ]|\((?!\d))[\w'’.\-()]{{0,40}}){{0,3}}"
# Numbered speakers as transcription services write them ("Speaker 1", "Spreker 2", "Deelnemer 12"). Only these
# words take a number: "Stap 1:", "Vraag 2:" and "Dag 1:" open list items and notes, not turns.
_NUMBERED = (r"(?:Speaker|SPEAKER|Spreker|SPREKER|Deelnemer|Participant|Respondent|Interviewee|Person|Persoon|"
             r"Interviewer|Facilitator|Moderator|Student|Docent|Teacher|Guest|Gast) \d{1,3}(?!\d)")
NAME = rf"(?:{_NUMBERED}|{NAME})"
# Lower-case speaker ids with a number, as QualCoder's examples and many anonymised transcripts write them:
# "[id1]", "[p2]", "resp3:". A bracketed one always opens a turn (no stage direction looks like that).
SPEAKER_ID = r"[a-z][a-z_]{0,11}\d{1,3}"
_NAME = NAME


def _line_label(name: str) -> re.Pattern:
    return re.compile(
        rf"^(?P<pre>[ \t]{{0,40}}(?:(?:{_TS}|(?P<ts0>{_HOURS})(?=[ \t]))[ \t]*(?:[-–][ \t]+)?)?)"
        rf"(?:\[(?P<bname>{name})\]|(?P<cname>{name})[ \t]*(?:{_TS.replace('ts1', 'ts7').replace('ts2', 'ts8').replace('ts3', 'ts9')}[ \t]*)?:)"
        rf"(?P<post>[ \t]*(?:{_TS.replace('ts1', 'ts4').replace('ts2', 'ts5').replace('ts3', 'ts6')}[ \t]*)?)"
    )


LINE_LABEL = _line_label(rf"(?:{_NAME}|{SPEAKER_ID})")
# Microsoft Teams' .docx transcript (Otter's export too) puts the speaker and the time on a line of their own, with a
# run of spaces or a tab between them, and the words on the lines below: "Anna de Vries   0:03". The name may be
# written any way the meeting tool shows it ("de Vries, Anna"); the wide gap and the bare line tell it from prose
# that ends in a clock time ("Total runtime 1:45").
# A clock as meeting tools print it: "0:03", "1:02:15", "00:01:23.450", and Teams' older "0:0:3.780".
_CLOCK = r"(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[.,]\d{1,7})?"
# A cue timing alone on a line ("0:0:0.0 --> 0:0:3.780"): Teams' older .docx, or subtitles pasted into a document.
CUE_TIMING = re.compile(rf"^[ \t]*({_CLOCK})[ \t]*-->[ \t]*{_CLOCK}[ \t]*$")
# A display name as meeting tools and transcription services write it ("de Vries, Anna", "Speaker 1").
_DISPLAY = r"[^\W\d_][^\t:\[\]{}<>]{0,79}?"
HEADER_LABEL = re.compile(rf"^[ \t]{{0,40}}(?P<name>{_DISPLAY})(?: {{2,}}|[ ]?\t[ \t]*)"
                          rf"(?P<ts>{_CLOCK})(?:[ \t]*-->[ \t]*{_CLOCK})?[ \t]*$")
_ID_ONLY = re.compile(SPEAKER_ID)
# Other transcription services give the name and a stamp a line of their own too: the stamp bracketed after the name
# ("Anna [00:00:03]", "Speaker 1 (00:03):"), or any stamp before it ("[00:00:03] Anna", Word's Transcribe
# "00:00:03 Speaker 1", "[00:00:00.00] - Speaker 1").
STAMP_AFTER = re.compile(rf"^[ \t]{{0,40}}(?P<name>{_DISPLAY})[ \t]*(?:\[(?P<a>{_CLOCK})\]|\((?P<b>{_CLOCK})\))[ \t]*:?[ \t]*$")
# A name with a stamp could be a short utterance ("[00:12:31] Klopt", "Ja. (00:00:12)") or an agenda item ("10:30
# Koffie"), so these forms count as a label only when the line heads plain words and the name repeats or the whole
# text is labelled (plaintext._accepted_labels), never for its stamp alone.
BARE_HOURS = re.compile(rf"^[ \t]*{_HOURS}\b")
STAMP_BEFORE = re.compile(rf"^[ \t]{{0,40}}(?:\[(?P<a>{_CLOCK})\]|\((?P<b>{_CLOCK})\)|(?P<c>{_HOURS}))[ \t]+"
                          rf"(?:[-–][ \t]+)?(?P<name>{_DISPLAY})[ \t]*:?[ \t]*$")


def is_speaker_id(label: str) -> bool:
    return bool(_ID_ONLY.fullmatch(label))


MAX_NAMED_LABELS = 100  # speaker labels one manifest entry may name
MAX_LABEL_CHARS = 80


def label_pattern(labels) -> re.Pattern | None:
    """A matcher for the exact labels a manifest names (any case, any characters: 'moderator', 'Dr. Jansen').

    Each name is escaped (matched as written, never as a pattern), and the manifest bounds their number and length
    (MAX_NAMED_LABELS, MAX_LABEL_CHARS), so the matcher costs at most a few thousand steps per line; names past
    those bounds are left out here too."""
    names = sorted({str(x).strip() for x in labels if 0 < len(str(x).strip()) <= MAX_LABEL_CHARS},
                   key=len, reverse=True)[:MAX_NAMED_LABELS]
    if not names:
        return None
    return re.compile(_line_label("(?:" + "|".join(re.escape(n) for n in names) + ")").pattern, re.IGNORECASE)


TIMESTAMP_ONLY = re.compile(rf"^[ \t]*{_TS}[ \t]*")
# f4transkript closes each paragraph with its stamp ("B: ... Dat was het. #00:01:23-4#"): time, not speech.
TRAILING_STAMP = re.compile(rf"[ \t]*{_TS}[ \t]*$")

_ROLE_WORDS = {
    "interviewer": "interviewer", "i": "interviewer", "int": "interviewer", "interviewster": "interviewer",
    "onderzoeker": "interviewer", "researcher": "interviewer", "q": "interviewer",
    "respondent": "respondent", "r": "respondent", "geïnterviewde": "respondent", "interviewee": "respondent",
    "a": "respondent", "b": "respondent",
    "facilitator": "facilitator", "procesbegeleider": "facilitator", "begeleider": "facilitator",
    "moderator": "facilitator", "f": "facilitator",
}
KNOWN_LABELS = set(_ROLE_WORDS)
# Bracketed notes that open a line like a "[Name]" label but are stage directions, never speakers.
STAGE_WORDS = {
    "laughter", "laughs", "laughing", "lacht", "gelach", "music", "muziek", "applause", "applaus", "inaudible",
    "onverstaanbaar", "crosstalk", "pause", "pauze", "stilte", "silence", "noise", "sighs", "zucht", "unclear",
    "onduidelijk", "end", "einde", "break",
}

# Words that open a line of prose or a header with a colon ("Note: ...", "Datum: ..."): never a speaker that speaks
# once, however the rest of the text is labelled (see plaintext._labelled_throughout).
PROSE_WORDS = {
    "note", "notes", "nb", "n.b.", "ps", "p.s.", "noot", "nota", "opmerking", "opmerkingen", "remark", "comment",
    "commentaar", "tip", "update", "edit", "summary", "samenvatting", "conclusion", "conclusie", "example",
    "voorbeeld", "bijvoorbeeld", "source", "bron", "date", "datum", "time", "tijd", "duration", "duur", "location",
    "locatie", "place", "plaats", "subject", "onderwerp", "re", "title", "titel", "project", "present", "aanwezig",
    "aanwezigen", "absent", "afwezig", "attendees", "participants", "deelnemers", "agenda", "action", "actie",
    "actiepunt", "actiepunten", "todo", "warning", "waarschuwing", "important", "belangrijk", "background",
    "achtergrond", "context", "result", "results", "resultaat", "resultaten", "goal", "doel", "definition",
    "definitie", "transcript", "transcriptie", "interview",
}


def default_role(speaker: str, kind: str = "interview") -> str:
    """Role for a label the manifest does not map: role words first, else by transcript kind."""
    word = speaker.strip().casefold()
    if word in _ROLE_WORDS:
        return _ROLE_WORDS[word]
    if "facilitator" in word or "begeleider" in word:
        return "facilitator"
    return "participant" if kind == "meeting" else "respondent"


def parse_seconds(stamp: str | None) -> float | None:
    if not stamp:
        return None
    parts = stamp.replace(",", ".").replace("-", ".").split(":")
    secs = 0.0
    for p in parts:
        secs = secs * 60 + float(p)
    return secs


_PARTICLE_WORDS = set(_PARTICLES[3:-1].split("|"))


def looks_like_name(text: str) -> bool:
    """A display name as a meeting tool writes it ("Anna de Vries", "de Vries, Anna", "Vries, A. de (Anna)",
    "Speaker 2"): at most six words, each capitalised, a particle, a number or bracketed; "We begonnen om" is not."""
    words = text.replace(",", " ").split()
    return 0 < len(words) <= 6 and any(w[0].isupper() for w in words) and all(
        w[0].isupper() or w[0].isdigit() or w[0] == "(" or w.casefold() in _PARTICLE_WORDS for w in words)


def match_label(line: str, named: re.Pattern | None = None):
    """(label, seconds, content offset in line) when the line opens a speaker turn, else None.

    `named` (see `label_pattern`) matches the labels a manifest names; those win over the general conventions.
    """
    m = (named.match(line) if named is not None else None) or LINE_LABEL.match(line)
    if not m:
        return _header_label(line)
    name = m.group("bname") or m.group("cname")
    stamp = next((m.group(g) for g in ("ts0", "ts1", "ts2", "ts3", "ts4", "ts5", "ts6", "ts7", "ts8", "ts9") if m.group(g)), None)
    return name, parse_seconds(stamp), m.end()


def _header_label(line: str):
    """(name, seconds, len(line)) for a line holding only a speaker's name and a stamp (see HEADER_LABEL,
    STAMP_AFTER, STAMP_BEFORE), else None."""
    h = HEADER_LABEL.match(line) or STAMP_AFTER.match(line) or STAMP_BEFORE.match(line)
    if not h:
        return None
    name = h.group("name").strip()
    stamp = next(v for k, v in h.groupdict().items() if k != "name" and v)
    if not looks_like_name(name) or h.re is not HEADER_LABEL and name.endswith((".", "?", "!", ",")):
        return None
    return name, parse_seconds(stamp), len(line)

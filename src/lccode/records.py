"""Typed records passed between the pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass

LEVELS = ("ecosystem", "fieldlab", "micro")
KINDS = ("interview", "meeting")
LANGUAGES = ("nl", "en")
# A transcript or segment in another language is labelled "other"; the detected language is recorded beside it.
LANGUAGE_LABELS = (*LANGUAGES, "other")
ROLES = ("interviewer", "respondent", "facilitator", "participant")


@dataclass(frozen=True)
class Position:
    """Where a segment sits in its transcript, as the context model reads it. `doc` None marks a stand-alone
    excerpt; rows of one doc are given consecutively, in transcript order."""

    doc: str | None = None
    turn: int | None = None
    role: str | None = None
    kind: str | None = None


@dataclass(frozen=True)
class Turn:
    """A speaker turn: `text[start_char:end_char]` of the transcript is its spoken content (no label, no stamp)."""

    index: int
    speaker: str | None
    start_char: int
    end_char: int
    t_start: float | None = None
    t_end: float | None = None
    # Spans inside the turn that segments never cross (paragraphs); the whole turn when empty.
    blocks: tuple[tuple[int, int], ...] = ()
    # Timed spans (subtitle cues, stamped paragraphs): (start_char, end_char, t_start, t_end).
    cues: tuple[tuple[int, int, float | None, float | None], ...] = ()


@dataclass(frozen=True)
class TranscriptMeta:
    id: str
    community: str = "unknown"
    level: str | None = None
    kind: str = "interview"
    date: str | None = None
    language: str = "auto"
    roles: tuple[tuple[str, str], ...] = ()

    def role_of(self, speaker: str | None) -> str | None:
        from lccode.ingest.speakers import default_role

        if speaker is None:
            return None
        for name, role in self.roles:
            if name.casefold() == speaker.casefold():
                return role
        return default_role(speaker, self.kind)


@dataclass(frozen=True)
class Transcript:
    """A transcript as read: `text` is exactly the decoded file content offsets refer to."""

    meta: TranscriptMeta
    text: str
    turns: tuple[Turn, ...]
    source_path: str
    source_format: str
    content_hash: str
    # A pre-segmented source (.jsonl/.csv/.xlsx) keeps its own segmentation.
    presegmented: bool = False
    # What the reader noticed but did not refuse (a manifest label never used ...), for the per-file report.
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Segment:
    transcript_id: str
    index: int
    start_char: int
    end_char: int
    text: str
    speaker: str | None = None
    role: str | None = None
    turn_index: int | None = None
    lang: str | None = None
    t_start: float | None = None
    t_end: float | None = None
    key: str = ""
    context_before: str | None = None
    context_after: str | None = None

"""What the review pages show, gathered from the workspace as plain data (the templates only lay it out)."""

from __future__ import annotations

from dataclasses import dataclass

from lccode.clock import hms
from lccode.codebook import Codebook, code_colors


def page_lang(cb: Codebook, *candidates: str | None) -> str:
    """The first candidate language the codebook has text in, else the codebook's first language."""
    for lang in candidates:
        if lang in cb.languages:
            return lang
    return cb.languages[0]


@dataclass(frozen=True)
class CodeView:
    id: str
    label: str
    other_label: str  # the name in the codebook's other language, so Dutch and English readers both recognise it
    definition: str
    color: str
    category: str


def code_views(cb: Codebook, lang: str) -> dict[str, CodeView]:
    colors = code_colors(cb)
    others = [lg for lg in cb.languages if lg != lang]
    out = {}
    for code in cb.codes:
        other = code.name.get(others[0], "") if others else ""
        out[code.id] = CodeView(code.id, code.label(lang), other if other != code.label(lang) else "",
                                code.definition.get(lang) or next(iter(code.definition.values()), ""),
                                colors[code.id], code.category)
    return out


def code_groups(cb: Codebook, lang: str, views: dict[str, CodeView]) -> list[dict]:
    return [{"id": cat.id, "label": cat.label(lang), "color": cat.color or "#888888",
             "codes": [views[c] for c in cat.code_ids]} for cat in cb.categories]


def latest_by_analyst(ws, key: str) -> list[dict]:
    """Each analyst's latest decision on a segment, oldest first."""
    return [{"analyst": d.analyst, "status": d.status, "codes": list(d.codes), "source": d.source,
             "at": d.created_at.replace("T", " ")[:16], "id": d.id} for d in ws.decisions(latest=True, segment_key=key)]


def disagree(decisions: list[dict]) -> bool:
    return len({tuple(d["codes"]) for d in decisions if d["status"] == "coded"}) > 1


def prediction(ws, key: str, model_id: str) -> tuple[dict[str, float], list[str]]:
    p = ws.prediction(key, model_id)
    return (p.probs, list(p.codes)) if p else ({}, [])


def turn_codes(ws, seg, model_id: str, proposed: list[str], views) -> list:
    """Codes the model proposes for another sentence of this speaker turn but not for this one: the queue's error
    model counts them (a code is often put on the wrong sentence of a turn), so the page names them."""
    if seg.turn_index is None:
        return []
    found: list[str] = []
    for other, p in ws.coded_segments(model_id, transcript=seg.transcript_id):  # one query, not one per sentence
        if other.turn_index == seg.turn_index and other.key != seg.key:
            found += [c for c in p.codes if c not in proposed and c not in found and c in views]
    return [views[c] for c in found]


def suggestions(probs: dict[str, float], thresholds: dict[str, float], proposed: list[str], views, n: int = 6,
                floor: float = 0.05) -> list[dict]:
    """The codes worth a look: everything proposed, then the most probable others (up to n; below `floor` only
    to show at least three), so a near-miss is one key press away and noise stays off the screen."""
    ranked = sorted((c for c in probs if c in views and c in thresholds), key=lambda c: -probs[c])
    picked = [c for c in ranked if c in proposed]
    for c in ranked:
        if len(picked) >= n:
            break
        if c not in proposed and (probs[c] >= floor or len(picked) < 3):
            picked.append(c)
    return [{"code": views[c], "p": round(100 * probs[c]), "t": round(100 * thresholds[c]), "proposed": c in proposed}
            for c in picked]


def previous_key(ws, analyst: str | None, current: str | None) -> str | None:
    """The segment to go back to: the one this analyst decided just before the one on screen (or their latest
    decision, on a segment they have not decided), so pressing B repeatedly walks back through their work."""
    if not analyst:
        return None
    keys = ws.decided_keys(analyst)
    if current in keys:
        i = keys.index(current)
        return keys[i + 1] if i + 1 < len(keys) else None
    return keys[0] if keys else None


def transcript_turns(ws, transcript_id: str, model_id: str | None) -> list[dict]:
    """The transcript as speaker turns of segments, each with its effective codes (analysts' override the model's)."""
    from lccode.workspace.decisions import effective_codes

    eff = effective_codes(ws, model_id)
    turns: list[dict] = []
    for s in ws.segments(transcript=transcript_id):
        e = eff.get(s.key)
        seg = {"key": s.key, "index": s.index, "text": s.text, "codes": list(e.codes) if e else [],
               "source": e.source if e else None, "disagreement": bool(e and e.disagreement)}
        turn_id = (s.turn_index, s.speaker) if s.turn_index is not None else (s.index, s.speaker)
        if turns and turns[-1]["id"] == turn_id:
            turns[-1]["segments"].append(seg)
        else:
            turns.append({"id": turn_id, "speaker": s.speaker or "", "role": s.role or "", "time": hms(s.t_start),
                          "segments": [seg]})
    return turns


def disagreements(ws) -> list[dict]:
    """Segments where analysts' latest coded decisions differ, with each analyst's codes."""
    from lccode.workspace.decisions import final_decisions

    out = []
    for d in final_decisions(ws):
        if not d.disagreement:
            continue
        out.append({"key": d.segment_key, "transcript": d.transcript_id, "text": d.text, "community": d.community,
                    "decisions": [x for x in latest_by_analyst(ws, d.segment_key) if x["status"] == "coded"]})
    return out


def why(probs: dict[str, float], thresholds: dict[str, float], views, score: float | None, rank: int | None,
        floor: float = 0.05) -> dict:
    """Why this segment is in the queue where it is: per code, the chance that the model's decision is wrong
    (the rule in lccode.model.uncertainty), the codes that make up most of it first."""
    rows = []
    for c, p in probs.items():
        if c not in thresholds or c not in views:
            continue
        yes = p >= thresholds[c]
        wrong = 1 - p if yes else p
        if wrong >= floor:
            rows.append({"code": views[c], "says": "yes" if yes else "no", "p": round(100 * p), "t": round(100 * thresholds[c]),
                         "wrong": round(100 * wrong)})
    rows.sort(key=lambda r: -r["wrong"])
    return {"score": None if score is None else round(100 * score), "rank": rank, "codes": rows[:5]}

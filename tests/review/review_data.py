"""Test data for the review tests: two small real transcripts, and probabilities chosen by hand per segment.

The probabilities below are test data chosen per segment (what a model might say), stored the way
`lccode code` stores them: prediction rows plus a 'code' run whose params hold the thresholds.
"""

from __future__ import annotations

from pathlib import Path

MODEL_ID = "lc-test-model-1"
THRESHOLDS_SPECIAL = {"sf_interdependency": 0.45, "fm_probing": 0.40, "fm_reflecting": 0.50, "sf_practice_link": 0.45}

# (transcript id, speaker, sentence, {code: probability}); codes not named get a low probability.
SEGMENTS = [
    ("nl-gaserop-test", "Interviewer", "Fijn dat je tijd hebt kunnen maken vandaag.", {}),
    ("nl-gaserop-test", "Henk", "Zonder de monteurs had dat protocol nergens op geslagen.",
     {"sf_interdependency": 0.48, "sf_practice_link": 0.30}),
    ("nl-gaserop-test", "Interviewer", "Wat bedoel je precies met dat protocol?", {"fm_probing": 0.90}),
    ("nl-gaserop-test", "Henk", "Wij brachten de praktijkkennis in en kregen er nieuwe klanten voor terug.",
     {"sf_reciprocity": 0.62, "out_learning": 0.20}),
    ("nl-gaserop-test", "Henk", "Eerlijk gezegd had de baas er weinig tijd voor vrijgemaakt.",
     {"bd_parent_support": 0.51, "bd_time_pressure": 0.48}),
    ("nl-gaserop-test", "Interviewer", "Dank je wel voor het gesprek.", {}),
    ("en-bouwcampus-test", "Anna", "Shall we start with a round of what everyone learned since last time?",
     {"fm_structuring": 0.70, "fm_reflecting": 0.44}),
    ("en-bouwcampus-test", "Ruud", "I finally used the demolition inventory on my own site last week.",
     {"out_learning": 0.58, "sf_practice_link": 0.47}),
    ("en-bouwcampus-test", "Anna", "So what I hear is that the inventory saves you a day of work.", {"fm_summarizing": 0.85}),
    ("en-bouwcampus-test", "Ruud", "Nobody at my firm wants to hear about circular building though.",
     {"bd_parent_support": 0.30, "bd_strategic_alignment": 0.57}),
    ("en-bouwcampus-test", "Anna", "Thank you all, see you in two weeks.", {}),
]
MANIFEST = """file,id,community,level,kind,date,language,roles
nl_test.txt,nl-gaserop-test,gas-erop,micro,interview,2026-03-12,nl,Interviewer=interviewer;Henk=respondent
en_test.txt,en-bouwcampus-test,bouwcampus-circulair,fieldlab,meeting,2026-02-26,en,Anna=facilitator;Ruud=participant
"""


def write_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    files = {"nl-gaserop-test": "nl_test.txt", "en-bouwcampus-test": "en_test.txt"}
    lines: dict[str, list[str]] = {}
    for i, (tid, speaker, text, _) in enumerate(SEGMENTS):
        lines.setdefault(tid, []).append(f"[00:{i * 9 // 60:02d}:{i * 9 % 60:02d}] {speaker}: {text}\n")
    for tid, name in files.items():
        (folder / name).write_text("\n".join(lines[tid]), encoding="utf-8")
    (folder / "manifest.csv").write_text(MANIFEST, encoding="utf-8")
    return folder


def thresholds(code_ids) -> dict[str, float]:
    return {c: THRESHOLDS_SPECIAL.get(c, 0.5) for c in code_ids}


def insert_predictions(ws, probs_by_text: dict[str, dict[str, float]], model_id: str = MODEL_ID,
                       low: float = 0.03, review_model: dict | None = None) -> int:
    """Store predictions for every segment the way `lccode code` does, with one finished 'code' run."""
    from lccode.workspace import Prediction

    cb = ws.codebook()
    th = thresholds(cb.code_ids)
    params = {"model_name": "test", "thresholds": th} | ({"review_model": review_model} if review_model else {})
    run = ws.start_run("code", model_id, "f" * 64, cb.ref, params)
    rows = []
    for seg in ws.segments():
        probs = {c: low for c in cb.code_ids} | probs_by_text.get(seg.text, {})
        rows.append(Prediction(seg.key, model_id, run, probs, tuple(c for c in cb.code_ids if probs[c] >= th[c])))
    ws.store_predictions(rows)
    ws.finish_run(run, "done", params | {"stats": {"segments": len(rows)}})
    return run


TOKEN = "test-token-123"
# What a browser sends to the server that `lccode review serve` starts; the app refuses any other Host.
BASE = "http://127.0.0.1:8765"


def key_of(ws, text: str) -> str:
    return next(s.key for s in ws.segments() if s.text == text)

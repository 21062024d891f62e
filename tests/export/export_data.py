"""Fixture data for the export tests: hand-made transcripts with known offsets, prediction rows with
probabilities chosen per segment (test data standing in for a model run), and a few review decisions.

Test modules import from here (tests.export.export_data), never from conftest: other test folders have a
conftest of their own.
"""

from __future__ import annotations

import hashlib

from lccode.records import Segment, Transcript, TranscriptMeta, Turn
from lccode.segment import segment_key
from lccode.workspace import Workspace

MODEL_ID = "lc-test@0123456789ab"
DEV_METRICS = {"n": 548, "micro_f1": 0.712, "macro_f1": 0.644, "micro_precision": 0.70, "micro_recall": 0.72,
               "mean_kappa": 0.61, "krippendorff_alpha": 0.6, "exact_match": 0.41,
               "per_language": {"en": {"macro_f1": 0.66}, "nl": {"macro_f1": 0.63}}}
CHECK_METRICS = {"excerpts": {"n": 310, "micro_f1": 0.852, "macro_f1": 0.855}}


def build_transcript(tid: str, turns: list[tuple[str, list[str]]], *, community: str, level: str | None,
                     kind: str, language: str, roles: dict[str, str], newline: str = "\n", date: str = "2026-03-01"):
    """Text 'Speaker: sentence sentence<newline>' per turn; one segment per sentence, offsets computed here."""
    text, tturns, segs, seen = "", [], [], {}
    for ti, (speaker, sentences) in enumerate(turns):
        text += f"{speaker}: "
        start = len(text)
        for si, sent in enumerate(sentences):
            if si:
                text += " "
            s0 = len(text)
            text += sent
            segs.append((s0, len(text), speaker, ti, sent))
        tturns.append(Turn(ti, speaker, start, len(text), float(60 * ti), float(60 * ti + 59)))
        text += newline
    meta = TranscriptMeta(tid, community, level, kind, date, language, tuple(roles.items()))
    tr = Transcript(meta, text, tuple(tturns), f"{tid}.txt", "text", hashlib.sha256(text.encode()).hexdigest())
    records = [Segment(tid, i, s, e, sent, spk, roles.get(spk), ti, language, float(60 * ti), float(60 * ti + 59),
                       segment_key(tid, sent, seen)) for i, (s, e, spk, ti, sent) in enumerate(segs)]
    return tr, records


# (transcript, turns with (sentence, model codes with probabilities)) -- None: the model never saw the segment
CORPUS = [
    ("t1", dict(community="alpha", level="micro", kind="interview", language="nl",
                roles={"Interviewer": "interviewer", "Henk": "respondent"}), [
        ("Interviewer", [("Hoe begon de samenwerking?", {})]),
        ("Henk", [("Zonder de monteurs hadden we het protocol nooit rond gekregen.", {"sf_interdependency": 0.91}),
                  ("We leerden enorm veel van elkaar tijdens de sessies.", {"out_learning": 0.80, "sf_reciprocity": 0.60})]),
        ("Interviewer", [("Wat leverde het op?", {})]),
        ("Henk", [("Er is een nieuwe werkwijze voor warmtepompen ontstaan.", {"out_innovation": 0.83})]),
    ]),
    ("t2", dict(community="alpha", level="micro", kind="meeting", language="en",
                roles={"Anna": "facilitator", "Bob": "participant"}), [
        ("Anna", [("Could you say more about what you mean by that?", {"fm_probing": 0.95})]),
        ("Bob", [("We learned a lot from the installers in the field.", {"out_learning": 0.70}),
                 ("The municipality never gave us a mandate to decide.", {"bd_decision_authority": 0.77})]),
    ]),
    ("t3", dict(community="beta", level="ecosystem", kind="interview", language="en",
                roles={"Interviewer": "interviewer", "Mark": "respondent"}), [
        ("Interviewer", [("What did the coalition give you?", {})]),
        ("Mark", [("Honestly the shared ambition kept us together.", {"sf_joint_identity": 0.65}),
                  ("And we learned how the other partners work, which helped a lot.", {"out_learning": 0.88}),
                  ("Something not yet coded by anyone at all.", None)]),
    ]),
]

# A person's decisions: (transcript, segment index, codes)
DECISIONS = [("t1", 4, ["out_innovation", "out_joint_practice"]), ("t2", 1, ["out_learning"]),
             ("t2", 2, [])]


def make_workspace(root, corpus=CORPUS, decisions=DECISIONS, newline="\n", model=True):
    """A workspace of `corpus`, coded by MODEL_ID (unless not `model`: people's decisions only) and `decisions`."""
    from lccode.workspace import Prediction
    from lccode.workspace.decisions import record_decision

    ws = Workspace.create(root)
    cb = ws.codebook()
    run = ws.start_run("code", MODEL_ID, "ab" * 32, cb.ref, {
        "model_name": "lc-test", "base_model": "multilingual-e5-small", "thresholds": {c: 0.5 for c in cb.code_ids},
        "dev_metrics": DEV_METRICS, "check_metrics": CHECK_METRICS}) if model else None
    keys = {}
    predictions = []
    for tid, meta, turns in corpus:
        tr, segs = build_transcript(tid, [(spk, [s for s, _ in sents]) for spk, sents in turns], newline=newline, **meta)
        ws.add_transcript(tr, segs)
        probs_in_order = [p for _, sents in turns for _, p in sents]
        for seg, chosen in zip(segs, probs_in_order):
            keys[(tid, seg.index)] = seg.key
            if chosen is None:
                continue
            # Codes the model does not propose get low probabilities, as a real model would give them.
            probs = {c: round(0.02 + 0.001 * i, 4) for i, c in enumerate(cb.code_ids)} | chosen
            predictions.append(Prediction(seg.key, MODEL_ID, run, probs, tuple(c for c in cb.code_ids if probs[c] >= 0.5),
                                          "2026-04-01T10:00:00+00:00"))
    if model:
        ws.store_predictions(predictions)
        ws.finish_run(run, "done")
    for tid, idx, codes in decisions:
        record_decision(ws, keys[(tid, idx)], "ann", codes, source="web")
    return ws, keys

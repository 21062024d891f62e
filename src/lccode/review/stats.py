"""Review figures: how well the model agrees with the analysts, how well analysts agree with each other, and
how much has been reviewed per community.

Model vs analysts compares the model's codes (its thresholded proposal) with each segment's final human codes;
segments a retrained model has learnt from flatter it, so compare a model against decisions made after it.
Analyst vs analyst uses each analyst's latest 'coded' decision on segments that two or more analysts coded:
Cohen's kappa per pair of analysts and Krippendorff's alpha (nominal) over all of them, per code and overall,
each computed over every (segment, code) yes/no decision.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np


def _finite(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def model_agreement(ws, model_id: str | None, code_ids: list[str]) -> dict:
    from lccode.model.metrics import multilabel_report
    from lccode.workspace.decisions import final_decisions

    if not model_id:
        return {"n": 0, "model_id": None}
    preds = {key: p.codes for key, p in ws.predictions(model_id).items()}
    finals = [d for d in final_decisions(ws) if d.status == "coded" and d.segment_key in preds]
    if not finals:
        return {"n": 0, "model_id": model_id}
    index = {c: j for j, c in enumerate(code_ids)}
    y_true = np.zeros((len(finals), len(code_ids)))
    y_pred = np.zeros_like(y_true)
    for i, d in enumerate(finals):
        y_true[i, [index[c] for c in d.codes if c in index]] = 1
        y_pred[i, [index[c] for c in preds[d.segment_key] if c in index]] = 1
    rep = multilabel_report(y_true, y_pred, code_ids)
    per = {c: {k: (_finite(v) if isinstance(v, float) else v) for k, v in m.items()} for c, m in rep["per_code"].items()}
    return {"n": rep["n"], "model_id": model_id, "per_code": per,
            **{k: _finite(rep[k]) for k in ("micro_precision", "micro_recall", "micro_f1", "macro_f1", "mean_kappa",
                                            "krippendorff_alpha", "exact_match")}}


def analyst_agreement(ws, code_ids: list[str]) -> dict:
    from lccode.model.metrics import cohen_kappa, krippendorff_alpha

    by_seg: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for d in ws.decisions(latest=True):
        if d.status == "coded":
            by_seg[d.segment_key][d.analyst] = d.codes
    shared = sorted(k for k, v in by_seg.items() if len(v) >= 2)
    if not shared:
        return {"segments": 0, "analysts": []}
    analysts = sorted({a for k in shared for a in by_seg[k]})
    index = {c: j for j, c in enumerate(code_ids)}
    mats = {a: np.full((len(shared), len(code_ids)), np.nan) for a in analysts}
    for i, key in enumerate(shared):
        for a, codes in by_seg[key].items():
            mats[a][i] = 0
            mats[a][i, [index[c] for c in codes if c in index]] = 1
    pairs, per_code_kappas = [], defaultdict(list)
    for a, b in combinations(analysts, 2):
        both = ~np.isnan(mats[a][:, 0]) & ~np.isnan(mats[b][:, 0])
        if not both.any():
            continue
        xa, xb = mats[a][both], mats[b][both]
        pairs.append({"a": a, "b": b, "segments": int(both.sum()), "kappa": _finite(cohen_kappa(xa, xb)),
                      "same_codes": float((xa == xb).all(axis=1).mean())})
        for j, c in enumerate(code_ids):
            per_code_kappas[c].append(cohen_kappa(xa[:, j], xb[:, j]))
    per_code = {}
    for j, c in enumerate(code_ids):
        col = [mats[a][:, j] for a in analysts]
        positives = int(sum(np.nansum(x) for x in col))
        per_code[c] = {"alpha": _finite(krippendorff_alpha(col)), "kappa": _finite(float(np.nanmean(per_code_kappas[c])))
                       if per_code_kappas[c] else None, "positives": positives}
    return {"segments": len(shared), "analysts": analysts, "pairs": pairs, "per_code": per_code,
            "alpha": _finite(krippendorff_alpha([mats[a] for a in analysts])),
            "mean_kappa": _finite(float(np.mean([p["kappa"] for p in pairs if p["kappa"] is not None])))
            if pairs else None}


def community_counts(ws, model_id: str | None) -> list[dict]:
    from lccode.workspace.decisions import final_decisions

    out = {com: {"community": com, "segments": n, "model_coded": coded, "reviewed": 0, "coded": 0, "unsure": 0,
                 "double_reviewed": 0, "disagreements": 0}
           for com, (n, coded) in ws.community_counts(model_id).items()}
    live = ws.segment_keys()
    for d in final_decisions(ws):
        if d.segment_key not in live or d.community not in out:
            continue  # decisions on sentences since edited away stay in the data, not in these counts
        row = out[d.community]
        row["reviewed"] += 1
        row["coded" if d.status == "coded" else "unsure"] += 1
        row["double_reviewed"] += len(d.analysts) > 1
        row["disagreements"] += d.disagreement
    return list(out.values())


def analyst_counts(ws) -> list[dict]:
    """Per analyst, over their latest decision per segment: segments, how many unsure, decided on the web page or
    in a sheet, and when last."""
    by: dict[str, list] = defaultdict(list)
    for d in ws.decisions(latest=True):
        by[d.analyst].append(d)
    return [{"analyst": a, "segments": len(ds), "unsure": sum(d.status == "unsure" for d in ds),
             "web": sum(d.source == "web" for d in ds), "sheet": sum(d.source == "sheet" for d in ds),
             "last": max(d.created_at for d in ds)} for a, ds in sorted(by.items())]


def review_stats(ws, model_id: str | None = None) -> dict:
    """All review figures, with what produced them."""
    from lccode import __version__
    from lccode.workspace import now

    cb = ws.codebook()
    model_id = ws.coded_model_id(model_id)
    run = ws.code_run(model_id) if model_id else None
    return {"lccode_version": __version__, "generated_at": now(), "workspace": str(ws.root.resolve()),
            "model_id": model_id, "model_hash": run.model_hash if run else None, "codebook": cb.ref, "codebook_hash": cb.hash,
            "model_vs_analysts": model_agreement(ws, model_id, cb.code_ids),
            "analyst_vs_analyst": analyst_agreement(ws, cb.code_ids),
            "communities": community_counts(ws, model_id), "analysts": analyst_counts(ws)}

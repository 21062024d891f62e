"""Which review ranking finds the model's errors? Candidate rules measured by the share of the oracle's capture.

    PYTHONPATH=src python scripts/bench_ranking.py [--model models/lc-default] [--json ranking.json]

A segment is an error when any of its code decisions differs from the gold. For the top `k` = 20% of a split,
oracle = min(k, errors) (a perfect ranking puts only errors first); a rule's share of the oracle is the
errors it puts in the top k divided by that. Splits: the dev transcripts and dev excerpts (what thresholds and
temperature were tuned on: choose the rule here) and the held-out test transcripts (report it here). The last
line per split is the product's ranking's own expectation: the sum of its calibrated chances of an error over its
top k, as a share of the oracle. A ranking by calibrated chances finds about that many, so it is the ceiling of
any reordering of the same signals; raising it takes a model whose errors are more predictable. Per-code
weights and per-code calibration are fitted on dev only. Encoder outputs are cached (models/cache/), so a
second run costs seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

SPLITS = {"dev_transcripts": "training_data/transcripts/dev", "dev_excerpts": "training_data/dev.jsonl",
          "test_transcripts": "training_data/transcripts/test"}


def oracle_share(errors: np.ndarray, priority: np.ndarray, fraction: float = 0.2) -> dict:
    """Higher priority first; ties broken by position (stable)."""
    n, total = len(errors), int(errors.sum())
    k = max(1, int(round(fraction * n)))
    order = np.argsort(-priority, kind="stable")
    found = int(errors[order[:k]].sum())
    oracle = min(k, total)
    return {"found": found, "oracle": oracle, "errors": total, "segments": n,
            "share_of_oracle": round(found / oracle, 4) if oracle else None,
            "share_of_errors": round(found / total, 4) if total else None}


def mc_dropout_probs(coder, pooled, positions, passes: int = 16, seed: int = 0):
    """Probabilities from the heads with dropout on (an ensemble of thinned heads over one encoder pass)."""
    import torch

    from lccode.model.context import layout
    from lccode.model.predict import sigmoid

    torch.manual_seed(seed)
    model = coder.model
    x = torch.as_tensor(pooled)
    lay = layout(positions) if model.context is not None else None
    model.train()
    out = []
    with torch.no_grad():
        for _ in range(passes):
            out.append(sigmoid(model.logits(x, lay).numpy() / float(coder.meta.get("temperature", 1.0))))
    model.eval()
    return np.stack(out)


def per_code_platt(probs_fit, y_fit, probs):
    """Per-code logistic recalibration of the logit (a, b per code), fitted on one set, applied to another."""
    import torch

    from lccode.model.uncertainty import _logit

    lf, yt = torch.tensor(_logit(probs_fit)), torch.tensor(y_fit, dtype=torch.float64)
    a = torch.ones(lf.shape[1], dtype=torch.float64, requires_grad=True)
    b = torch.zeros(lf.shape[1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a, b], lr=0.5, max_iter=200)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(lf * a + b, yt) + 1e-3 * ((a - 1) ** 2 + b ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        return torch.sigmoid(torch.tensor(_logit(probs)) * a + b).numpy()


def member_probs(coder, pooled, positions):
    """[members, segments, codes] probabilities of each member of an ensemble (None for a single model)."""
    import torch

    from lccode.model.context import layout
    from lccode.model.predict import sigmoid

    model = coder.model
    if not hasattr(model, "member_logits"):
        return None
    lay = layout(positions) if model.context is not None else None
    with torch.inference_mode():
        logits = model.member_logits(torch.as_tensor(pooled), lay).float().numpy()
    return sigmoid(logits / float(coder.meta.get("temperature", 1.0)))


def expected_capture(errors: np.ndarray, priority: np.ndarray, fraction: float = 0.2) -> float | None:
    """What a ranking expects to find in its top k by its own calibrated chances of an error, as a share of the
    oracle: the ceiling of any ranking that orders by those chances (it found about this many, see the output)."""
    k = max(1, int(round(fraction * len(errors))))
    oracle = min(k, int(errors.sum()))
    return round(float(np.sort(priority)[::-1][:k].sum()) / oracle, 4) if oracle else None


def learned_error_model(data, name, th, coder):
    """The product's error model for transcript segments (lccode.model.error_model, rule for excerpts): for the dev
    transcripts refitted leaving one transcript out (so the figure is out of sample); elsewhere the model's own,
    fitted on all dev transcripts when it was trained."""
    from lccode.model import error_model as em
    from lccode.model.uncertainty import priority

    d = data[name]
    if name != "dev_transcripts":
        stored = em.ErrorModel.from_dict(coder.meta.get("review_model"))
        if stored is None:  # a model trained before the error model existed: fit it as training would
            dev = data["dev_transcripts"]
            stored = em.fit_on_dev(dev["pos"], dev["probs"], th, dev["y"])
        return priority(d["probs"], th, d["pos"], stored)
    F = em.features(d["pos"], d["probs"], th)
    docs = np.array([p.doc for p in d["pos"]])
    out = np.zeros(len(docs))
    for doc in set(docs):
        out[docs == doc] = em.fit(F[docs != doc], d["errors"][docs != doc]).predict(F[docs == doc])
    return out


def main() -> None:
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--json", default=None)
    ap.add_argument("--cache", default=None, help="folder for cached encoder outputs (default: models/cache)")
    args = ap.parse_args()

    from lccode.data import label_matrix
    from lccode.gold import load_examples
    from lccode.model import uncertainty as u
    from lccode.model.predict import Coder
    from lccode.model.provision import models_dir
    from lccode.model.training_run import default_model_dir

    model_dir = Path(args.model) if args.model else default_model_dir()
    coder = Coder.load(model_dir, None, "cpu")
    coder.with_cache(Path(args.cache) if args.cache else models_dir() / "cache", model_dir)
    labels, th = coder.labels, coder.thresholds
    data = {}
    t0 = time.perf_counter()
    for name, rel in SPLITS.items():
        ex = load_examples(REPO / rel, labels)
        pos = [e.position for e in ex]
        pooled = coder.pooled([e.text for e in ex])
        probs = coder.from_pooled(pooled, pos)
        y = label_matrix(ex, labels)
        data[name] = {"ex": ex, "pos": pos, "pooled": pooled, "probs": probs, "y": y,
                      "errors": ((probs >= th) != (y > 0)).any(1)}
        coder.cache.save()  # keep what was encoded, split by split
    coder.cache.save()
    encode_s = time.perf_counter() - t0

    # Dev = both dev sets together (what calibration saw); per-code weights from dev only.
    dev_p = np.vstack([data[s]["probs"] for s in ("dev_transcripts", "dev_excerpts")])
    dev_y = np.vstack([data[s]["y"] for s in ("dev_transcripts", "dev_excerpts")])
    dev_err_rate = ((dev_p >= th) != (dev_y > 0)).mean(0)  # per code: how often its decision is wrong on dev
    kappa = np.array([coder.meta["dev_metrics"]["per_code"][c]["kappa"] for c in labels], dtype=float)
    unrel = np.clip(1 - np.nan_to_num(kappa, nan=0.0), 0.1, 1.0)

    results: dict = {"model": coder.meta["model_id"], "encode_seconds": round(encode_s, 1), "splits": {}}
    for name, d in data.items():
        p, pred = d["probs"], d["probs"] >= th
        perr = u.error_probabilities(p, th)
        mc = mc_dropout_probs(coder, d["pooled"], d["pos"])
        flips = ((mc >= th) != pred[None]).mean(0)  # share of thinned heads that decide a code the other way
        other = [s for s in ("dev_transcripts", "dev_excerpts") if s != name]
        if name.startswith("dev"):  # fit on the other dev set only, so dev figures stay out of sample
            fit_p, fit_y = data[other[0]]["probs"], data[other[0]]["y"]
        else:
            fit_p, fit_y = dev_p, dev_y
        pc = per_code_platt(fit_p, fit_y, p)
        perr_pc = np.where(pred, 1 - pc, pc)
        members = member_probs(coder, d["pooled"], d["pos"])
        committee = ((members >= th) != pred[None]).sum(0).sum(1) if members is not None else np.zeros(len(p))
        rules = {
            "margin (old rule: smallest logit distance to a threshold)": -u.margins(p, th).min(1),
            "expected error: P(any code decision wrong)": 1 - np.prod(1 - perr, axis=1),
            "expected number of wrong codes": perr.sum(1),
            "expected error, per-code Platt recalibration": 1 - np.prod(1 - perr_pc, axis=1),
            "expected errors weighted by code unreliability (1 - dev kappa)": (perr * unrel).sum(1),
            "expected errors weighted by dev error rate": (perr * (0.5 + dev_err_rate / dev_err_rate.mean())).sum(1),
            "MC-dropout head ensemble: share of flipped decisions": flips.sum(1),
            "MC-dropout ensemble mean, expected error": 1 - np.prod(1 - u.error_probabilities(mc.mean(0), th), axis=1),
            "expected error + ensemble flips": 1 - np.prod(1 - perr, axis=1) + flips.sum(1),
            "rule for excerpts (lccode.model.uncertainty.review_priority)": u.review_priority(p, th),
            "committee: code decisions on which an ensemble member disagrees with the ensemble (ties: rule)":
                committee + 1e-3 * u.review_priority(p, th),
            "in the product: error model over turn features for transcript segments (lccode.model.error_model)":
                learned_error_model(data, name, th, coder),
            "random": np.random.default_rng(0).random(len(p)),
        }
        results["splits"][name] = {r: oracle_share(d["errors"], s) for r, s in rules.items()}
        product = rules["in the product: error model over turn features for transcript segments (lccode.model.error_model)"]
        results["splits"][name]["product's own expectation (share of oracle its calibrated chances predict)"] = {
            **oracle_share(d["errors"], product), "share_of_oracle": expected_capture(d["errors"], product)}
    print(f"model {results['model']} (encoder outputs in {encode_s:.0f} s)")
    for name, rows in results["splits"].items():
        any_row = next(iter(rows.values()))
        print(f"\n{name}: {any_row['segments']} segments, {any_row['errors']} with an error; top 20% = oracle {any_row['oracle']}")
        for r, m in rows.items():
            print(f"  {m['share_of_oracle']:.3f} of oracle  ({m['found']:4d} found)  {r}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()

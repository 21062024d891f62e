"""What is a review worth? A simulated analyst reviews segments chosen by the queue or at random, with a quick
retrain after each batch, and the model is measured on held-out data after each.

    PYTHONPATH=src python scripts/bench_learning_curve.py [--model models/lc-default] [--seeds 3]
        [--budgets 50,100,200,400] [--pool DIR] [--json learning-curve.json]

Simulation: per seed, a random 60% of the coded transcripts in the pool (--pool; default
training_data/transcripts/train) form the analyst's workspace; the analyst's decision on a segment is its gold
label. Starting from the model, batches of reviews bring the count to each budget; after each batch the heads
are quick-retrained (lccode.model.quick, exactly as `lccode review retrain` does, warm-started from the previous model
in the chain) and the model is scored: turn-level micro/macro F1 on the held-out transcripts/test, and micro F1
on the dev excerpts (dev.jsonl; note that the dev split also sets the thresholds, so excerpt figures are
optimistic for every arm alike). "queue" picks the next segments in the review queue's order
(lccode.model.uncertainty: priority, with the model's error model, then spread) under the current model; "random" picks uniformly among the
not yet reviewed.

Give a pool of coded transcripts the model was not trained on (the model card's train_transcripts count and
train_data_hash say what it saw); with the default pool and a model trained on it, the "reviews" re-teach labels
the model has seen, and the verdict says so. Encoder
outputs are cached (models/cache/).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def scores(coder, meta, ex, pooled, labels) -> dict:
    from lccode.model.evaluate import score

    probs = coder.from_pooled(pooled, [e.position for e in ex]) if meta is None else _probs(coder, meta, ex, pooled)
    th = np.array([(meta or coder.meta)["thresholds"][c] for c in labels], dtype=np.float32)
    rep = score(ex, probs, (probs >= th).astype(np.float32), th, labels)
    out = {"micro_f1": round(rep["micro_f1"], 4), "macro_f1": round(rep["macro_f1"], 4)}
    if "turns" in rep:
        out |= {"turn_micro_f1": round(rep["turns"]["micro_f1"], 4), "turn_macro_f1": round(rep["turns"]["macro_f1"], 4)}
    out["oracle_share_20"] = round(rep["error_capture"]["share_of_oracle"]["20%"], 4)
    return out


def _probs(coder, meta, ex, pooled):
    from lccode.model.predict import Coder

    return Coder(coder.model, coder.tokenizer, meta, coder.placement).from_pooled(pooled, [e.position for e in ex])


def main() -> None:
    import torch

    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--budgets", default="50,100,200,400")
    ap.add_argument("--workspace-share", type=float, default=0.6, help="share of the pool's transcripts per seed")
    ap.add_argument("--pool-share", type=float, default=1.0,
                    help="use only this share of the training transcripts as the pool (fewer to encode)")
    ap.add_argument("--pool", default=None, help="folder of coded transcripts the analyst reviews "
                    "(default: training_data/transcripts/train)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    budgets = [int(b) for b in args.budgets.split(",")]

    from lccode.data import label_matrix
    from lccode.gold import load_examples
    from lccode.model.error_model import ErrorModel
    from lccode.model.pooled import PooledCache, encoder_key
    from lccode.model.predict import Coder
    from lccode.model.provision import models_dir
    from lccode.model.quick import QuickConfig, blocks, coder_meta, load_bundle, retrain, windows
    from lccode.model.training_run import default_model_dir
    from lccode.model.uncertainty import priority, spread

    model_dir = Path(args.model) if args.model else default_model_dir()
    coder = Coder.load(model_dir, None, "cpu")
    labels = coder.labels
    cache = PooledCache.open(models_dir() / "cache", encoder_key(model_dir, coder.meta),
                             coder.meta.get("input_prefix", "query: "), coder.meta.get("max_length", 128))
    t0 = time.perf_counter()
    td = REPO / "training_data"
    pool_dir = Path(args.pool) if args.pool else td / "transcripts" / "train"
    pool = load_examples(pool_dir, labels)
    pool_docs = sorted({e.doc for e in pool})
    keep = set(random.Random(7).sample(pool_docs, max(1, round(args.pool_share * len(pool_docs)))))
    pool = [e for e in pool if e.doc in keep]
    test = load_examples(td / "transcripts" / "test", labels)
    excerpts = load_examples(td / "dev.jsonl", labels)
    pooled = {name: coder.pooled([e.text for e in ex], cache=cache) for name, ex in
              (("pool", pool), ("test", test), ("excerpts", excerpts))}
    cfg0 = QuickConfig()
    bundle = load_bundle(coder, cache, cfg0)
    cache.save()
    prep_s = time.perf_counter() - t0
    parent_heads = copy.deepcopy({k: v for k, v in coder.model.state_dict().items() if not k.startswith("encoder.")})
    y_pool = label_matrix(pool, labels)
    pos_pool = [e.position for e in pool]
    docs = sorted({e.doc for e in pool})

    def evaluate(meta):
        return {"test": scores(coder, meta, test, pooled["test"], labels),
                "excerpts": scores(coder, meta, excerpts, pooled["excerpts"], labels)}

    coder.model.load_state_dict(parent_heads, strict=False)
    start = evaluate(None)
    results = {"model": coder.meta["model_id"], "budgets": budgets, "seeds": args.seeds, "prep_seconds": round(prep_s, 1),
               "pool": str(pool_dir), "pool_segments": len(pool), "pool_transcripts": len(docs),
               "pool_is_bundled_train": not args.pool, "workspace_share": args.workspace_share,
               "start": start, "runs": []}
    print(f"model {results['model']}: start test turn micro-F1 {start['test']['turn_micro_f1']:.3f}, "
          f"excerpt micro-F1 {start['excerpts']['micro_f1']:.3f} (prep {prep_s:.0f} s)", flush=True)
    for seed in range(args.seeds):
        rng = random.Random(1000 + seed)
        ws_docs = set(rng.sample(docs, max(1, round(args.workspace_share * len(docs)))))
        rows = [i for i, e in enumerate(pool) if e.doc in ws_docs]  # consecutive per doc, in order
        for strategy in ("queue", "random"):
            coder.model.load_state_dict(parent_heads, strict=False)
            meta = dict(coder.meta)
            reviewed: list[int] = []
            pick_rng = random.Random(seed)
            cfg = QuickConfig(seed=13 + seed)
            for b in budgets:
                need = b - len(reviewed)
                done = set(reviewed)
                if strategy == "random":
                    new = pick_rng.sample([r for r in rows if r not in done], need)
                else:
                    probs = _probs(coder, meta, [pool[r] for r in rows], pooled["pool"][rows])
                    th = np.array([meta["thresholds"][c] for c in labels])
                    rank = priority(probs, th, [pos_pool[r] for r in rows], ErrorModel.from_dict(meta.get("review_model")))
                    order = spread(np.argsort(-rank, kind="stable"), [pool[r].text for r in rows])
                    new = [rows[i] for i in order if rows[i] not in done][:need]
                th_now = np.array([meta["thresholds"][c] for c in labels])
                wrong = int(((_probs(coder, meta, [pool[r] for r in new], pooled["pool"][new]) >= th_now)
                             != (y_pool[new] > 0)).any(1).sum())
                reviewed += new
                w = np.zeros(len(rows), dtype=np.float32)
                index = {r: i for i, r in enumerate(rows)}
                for r in reviewed:
                    w[index[r]] = cfg.decision_weight
                sub_pos = [pos_pool[r] for r in rows]
                decided = blocks(pooled["pool"][rows], sub_pos, y_pool[rows], windows(sub_pos, w))
                t = time.perf_counter()
                res = retrain(coder, decided, bundle, cfg)
                secs = time.perf_counter() - t
                meta = coder_meta(meta, labels, res)
                ev = evaluate(meta)
                run = {"seed": seed, "strategy": strategy, "reviews": b, "retrain_seconds": round(secs, 1),
                       "new_reviews_the_model_had_wrong": wrong, **ev}
                results["runs"].append(run)
                print(f"seed {seed} {strategy:6s} {b:4d} reviews: test turn micro-F1 {ev['test']['turn_micro_f1']:.3f} "
                      f"macro {ev['test']['turn_macro_f1']:.3f}, excerpt micro-F1 {ev['excerpts']['micro_f1']:.3f} "
                      f"({secs:.0f} s; the model had {wrong} of the {len(new)} new ones wrong)", flush=True)
    results["summary"] = summarise(results)
    results["verdict"] = verdict(results)
    print(json.dumps(results["summary"], indent=1))
    print(results["verdict"])
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


def summarise(results: dict) -> dict:
    out = {}
    for strategy in ("queue", "random"):
        for b in results["budgets"]:
            rs = [r for r in results["runs"] if r["strategy"] == strategy and r["reviews"] == b]
            row = {}
            for name, get in (("test_turn_micro_f1", lambda r: r["test"]["turn_micro_f1"]),
                              ("test_turn_macro_f1", lambda r: r["test"]["turn_macro_f1"]),
                              ("excerpt_micro_f1", lambda r: r["excerpts"]["micro_f1"]),
                              ("retrain_seconds", lambda r: r["retrain_seconds"])):
                v = np.array([get(r) for r in rs])
                row[name] = {"mean": round(float(v.mean()), 4), "sd": round(float(v.std(ddof=1)) if len(v) > 1 else 0.0, 4)}
            out[f"{strategy}/{b}"] = row
    return out


def verdict(results: dict) -> str:
    """Whether queue-chosen reviews reach the F1 of the most random reviews with at most half as many, counting a
    difference as real only when it exceeds twice the spread over seeds."""
    s, budgets = results["summary"], results["budgets"]
    top = max(budgets)
    target = s[f"random/{top}"]["test_turn_micro_f1"]
    start = results["start"]["test"]["turn_micro_f1"]
    noise = 2 * max(target["sd"], max(s[f"queue/{b}"]["test_turn_micro_f1"]["sd"] for b in budgets), 0.001)
    if target["mean"] - start <= noise:
        best = max(s[f"{a}/{b}"]["test_turn_micro_f1"]["mean"] for a in ("queue", "random") for b in budgets)
        return (f"Inconclusive: no arm moves test turn micro-F1 beyond the spread over seeds (start {start:.3f}; "
                f"{top} random reviews {target['mean']:.3f} ± {target['sd']:.3f}; best mean {best:.3f})."
                + (" The pool is the bundled training split, so for a model trained on it reviews re-teach labels it has seen."
                   if results.get("pool_is_bundled_train") else "")
                + " See new_reviews_the_model_had_wrong for how often each arm picked the model's errors.")
    reach = [b for b in budgets if s[f"queue/{b}"]["test_turn_micro_f1"]["mean"] >= target["mean"] - noise / 2]
    if reach and reach[0] <= top // 2:
        return (f"Yes: queue-chosen reviews reach the test turn micro-F1 of {top} random reviews ({target['mean']:.3f}; "
                f"start {start:.3f}) with {reach[0]}.")
    return (f"No: {top} random reviews reach test turn micro-F1 {target['mean']:.3f} (start {start:.3f}); queue-chosen "
            "reviews " + (f"first reach it with {reach[0]}" if reach else "do not reach it within the budgets") + ".")


if __name__ == "__main__":
    main()

"""Coding and training speed of the classifier, each against a baseline measured in the same run.

    .venv/bin/python scripts/bench_model.py [--model models/lc-default] [--device auto] [--n 512]

Coding: segments/s of lccode's length-sorted batches (batch 64) vs one segment at a time (the baseline), on the
sample corpus's real segments; plus bf16/fp16 autocast vs fp32 where the device supports it. Training: seconds per
optimiser step of the default CPU recipe (frozen lower layers, cached) vs full fine-tuning (the baseline).
Prints one JSON object. Figures depend on the machine: compare ratios, not absolute numbers, across machines.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sample_texts(n: int) -> list[str]:
    from lccode.ingest import discover, read_transcript
    from lccode.segment import Segmenter

    found = discover([REPO / "corpus_sample"])
    segs = [s for tr in Segmenter().segment_many([read_transcript(p, m) for p, m in found]) for s in tr]
    random.Random(0).shuffle(segs)
    return [s.text for s in segs[:n]]


def time_coding(coder, texts, batch_size) -> float:
    t = time.perf_counter()
    coder.probabilities(texts, batch_size=batch_size)
    return len(texts) / (time.perf_counter() - t)


def bench_coding(model: Path, device: str, texts: list[str]) -> dict:
    from lccode.predict import Coder

    out = {"segments": len(texts)}
    fp32 = Coder.load(model, None, device, precision="fp32")
    time_coding(fp32, texts[:64], 64)  # warm-up
    base = time_coding(fp32, texts[:128], 1)
    fast = time_coding(fp32, texts, 64)
    out |= {"device": fp32.placement.describe(), "baseline_batch1_seg_per_s": round(base, 1),
            "batched_sorted_seg_per_s": round(fast, 1), "batched_vs_baseline": round(fast / base, 2)}
    auto = Coder.load(model, None, device, precision="auto")
    if auto.placement.autocast is not None:
        time_coding(auto, texts[:64], 64)
        amp = time_coding(auto, texts, 64)
        diff = float(abs(auto.probabilities(texts[:256]) - fp32.probabilities(texts[:256])).max())
        out |= {"autocast": auto.placement.describe(), "autocast_seg_per_s": round(amp, 1),
                "autocast_vs_fp32": round(amp / fast, 2), "autocast_max_prob_diff": round(diff, 5)}
    else:
        out["autocast"] = "not used: no fast bf16/fp16 on this device (detected by lccode.device)"
    return out


def bench_training_step(texts: list[str], steps: int = 6) -> dict:
    import torch

    from lccode.codebook import load_codebook
    from lccode.data import Example
    from lccode.modeling import new_model
    from lccode.provision import default_base_dir, provision
    from lccode.trainer import _collate, _collate_cached, _lower_cache, _tokenize
    from lccode.training_args import TrainConfig

    cb = load_codebook()
    cfg = TrainConfig(device="cpu")
    examples = [Example(t, ()) for t in texts[:16 * steps]]
    results = {}
    for label, split_at in (("full_finetune", 0), ("default_cpu_recipe", 8)):
        model, tok = new_model(provision(default_base_dir()), cb.code_ids)
        model.freeze_word_embeddings(True)
        model.freeze_lower(split_at)
        ds = _tokenize(tok, examples, cfg, cb.code_ids)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        t = time.perf_counter()
        cache = _lower_cache(model, ds, split_at, tok.pad_token_id, _cpu()) if split_at else None
        model.train()
        for s in range(steps):
            ids = list(range(16 * s, 16 * (s + 1)))
            if cache is not None:
                h, m, y = _collate_cached(cache, ds, ids, "cpu")
                logits = model.upper(h, m, split_at)
            else:
                x, m, y = _collate(ds, ids, tok.pad_token_id, "cpu")
                logits = model(x, m)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        results[label + "_s_per_step"] = round((time.perf_counter() - t) / steps, 3)
    results["speedup_vs_full"] = round(results["full_finetune_s_per_step"] / results["default_cpu_recipe_s_per_step"], 2)
    return results


def _cpu():
    from lccode.device import resolve_device

    return resolve_device("cpu", "fp32")


def main(argv=None):
    from lccode.device import set_threads
    from lccode.training_run import default_model_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n", type=int, default=512)
    ap.add_argument("--skip-training", action="store_true")
    args = ap.parse_args(argv)
    set_threads()
    texts = sample_texts(args.n)
    report = {"coding": bench_coding(args.model or default_model_dir(), args.device, texts)}
    if not args.skip_training:
        report["training_step_cpu"] = bench_training_step(texts)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()

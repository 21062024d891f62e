"""The GPU check (issue 13), after scripts/gpu_check.sh has installed and provisioned: train, code, compare.

    .venv/bin/python scripts/gpu_check.py [--device cuda] [--segments 100000] [--epochs 7] [--train-limit N]
        [--agreement-limit N] [--model models/lc-default] [--work /tmp/lccode-gpu-check] [-o gpu-check.json]

1. Trains the default recipe on the bundled data on `--device` (on a GPU: every layer and the word embeddings,
   bf16 autocast where the GPU has it; on a CPU: the CPU recipe), with the library call `lccode train` makes;
   records the seconds and the peak GPU memory (torch.cuda.max_memory_allocated).
2. Codes `--segments` segments end to end (`code_workspace`: tokenising, length-bucketed batches of 512 on a GPU,
   stored in SQLite on a thread): the sample corpus's transcripts copied under new ids into one workspace until
   there are enough; records segments/s, padding waste and peak GPU memory.
3. Agreement: the shipped model (`--model`, default models/lc-default; the model of step 1 when none is shipped)
   on `--device` vs on the CPU over the sample corpus's segments: the share of identical segment x code decisions,
   each device at the precision `lccode code` picks there.

Small sizes run the same path on a CPU
(`--device cpu --segments 2000 --epochs 1 --train-limit 300 --agreement-limit 300`).
Writes one JSON object (also printed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _gpu_peak_gb(device) -> float | None:
    import torch

    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**30, 2)


def _reset_peak(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)


def train_default(device: str, epochs: int, limit: int | None, out: Path) -> dict:
    from lccode.codebook import load_codebook
    from lccode.gold import load_examples
    from lccode.model.device import resolve_device
    from lccode.model.trainer import train
    from lccode.model.training_args import TrainConfig
    from lccode.model.training_run import default_training_files

    placement = resolve_device(device)
    cb = load_codebook()
    data, dev = default_training_files()
    examples = [ex for p in data for ex in load_examples(p, cb.code_ids)]
    dev_examples = [ex for p in dev for ex in load_examples(p, cb.code_ids)]
    if limit:
        examples, dev_examples = examples[:limit], dev_examples[:max(limit // 4, 20)]
    cfg = TrainConfig(epochs=epochs, device=device, name="gpu-check")
    _reset_peak(placement.device)
    t = time.perf_counter()
    meta = train(cfg, cb, examples, out, dev_examples=dev_examples)
    seconds = time.perf_counter() - t
    d = meta["dev_metrics"]
    return {"seconds": round(seconds, 1), "epochs": epochs, "train_segments": len(examples),
            "dev_segments": len(dev_examples), "device": meta["device"], "encoder_format": meta["encoder"]["format"],
            "dev_micro_f1": round(d["micro_f1"], 4), "dev_macro_f1": round(d["macro_f1"], 4),
            "peak_gpu_memory_gb": _gpu_peak_gb(placement.device), "model": str(out)}


def sample_workspace_of(n: int, root: Path):
    """A workspace of the sample corpus's transcripts, copied under new ids until it holds at least n segments."""
    from lccode.ingest import discover, read_transcript
    from lccode.segment import Segmenter, segment_key
    from lccode.workspace import Workspace

    trs = [read_transcript(p, m) for p, m in discover([REPO / "corpus_sample"])]
    segs = Segmenter().segment_many(trs)
    ws = Workspace.create(root)
    total, copy = 0, 0
    while total < n:
        for tr, ss in zip(trs, segs):
            tid = f"{tr.meta.id}~{copy}"
            seen: dict[str, int] = {}
            ws.add_transcript(replace(tr, meta=replace(tr.meta, id=tid)),
                              [replace(s, transcript_id=tid, key=segment_key(tid, s.text, seen)) for s in ss])
            total += len(ss)
        copy += 1
    return ws, total


def code_many(model: Path, device: str, n: int, work: Path) -> dict:
    from lccode.model.coding import code_workspace
    from lccode.model.device import resolve_device

    ws, total = sample_workspace_of(n, work / "ws")
    dev = resolve_device(device).device
    _reset_peak(dev)
    t = time.perf_counter()
    stats = code_workspace(ws, model, device)
    wall = time.perf_counter() - t
    ws.close()
    return {"segments": stats["segments"], "seconds_coding_loop": stats["seconds"], "segments_per_s": stats["segments_per_s"],
            "wall_s_with_load": round(wall, 2), "segments_per_s_with_load": round(stats["segments"] / wall, 1),
            "batch_size": stats["batch_size"], "chunk": stats["chunk"], "padding_waste": stats["padding_waste"],
            "device": stats["device"], "peak_gpu_memory_gb": _gpu_peak_gb(dev), "model": str(model)}


def agreement(model: Path, device: str, limit: int | None = None) -> dict:
    """The same model on `device` and on the CPU, each at the precision lccode picks there, on whole transcripts."""
    import numpy as np

    from lccode.ingest import discover, read_transcript
    from lccode.model.coding import positions_of
    from lccode.model.predict import Coder
    from lccode.segment import Segmenter

    trs = [read_transcript(p, m) for p, m in discover([REPO / "corpus_sample"])]
    segs = [s for ss in Segmenter().segment_many(trs) for s in ss][:limit or None]
    kinds = {tr.meta.id: tr.meta.kind for tr in trs}
    texts, pos = [s.text for s in segs], positions_of(segs, kinds)
    here = Coder.load(model, None, device)
    cpu = Coder.load(model, None, "cpu")
    p_here, p_cpu = here.probabilities(texts, positions=pos), cpu.probabilities(texts, positions=pos)
    d_here, d_cpu = here.decide(p_here), cpu.decide(p_cpu)
    return {"segments": len(texts), "codes": len(here.labels), "device": here.placement.describe(),
            "cpu": cpu.placement.describe(), "identical_segment_code_decisions": round(float((d_here == d_cpu).mean()), 5),
            "segments_with_any_difference": int((d_here != d_cpu).any(1).sum()),
            "max_prob_diff": round(float(np.abs(p_here - p_cpu).max()), 5), "model": str(model)}


def main(argv=None):
    import torch

    from lccode.model.training_run import default_model_dir

    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=env("GPU_CHECK_DEVICE", "cuda"))
    ap.add_argument("--segments", type=int, default=int(env("GPU_CHECK_SEGMENTS", "100000")))
    ap.add_argument("--epochs", type=int, default=int(env("GPU_CHECK_EPOCHS", "7")))
    ap.add_argument("--train-limit", type=int, default=int(env("GPU_CHECK_TRAIN_LIMIT", "0")) or None,
                    help="train on the first N bundled examples only (a quick run of the same path)")
    ap.add_argument("--agreement-limit", type=int, default=int(env("GPU_CHECK_AGREEMENT_LIMIT", "0")) or None,
                    help="compare devices on the first N sample segments only (default: all)")
    ap.add_argument("--model", type=Path, default=None, help="the shipped model (default: models/lc-default)")
    ap.add_argument("--work", type=Path, default=Path(env("GPU_CHECK_WORK", "/tmp/lccode-gpu-check")))
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("-o", "--output", type=Path, default=Path(env("GPU_CHECK_OUT", "gpu-check.json")))
    args = ap.parse_args(argv)
    from lccode.model.device import resolve_device

    placement = resolve_device(args.device)  # refuses cuda without a usable GPU, with a fix
    if args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True)
    t0 = time.perf_counter()
    report = {"device": placement.describe(), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
              "cpu_threads": torch.get_num_threads(), "segments_asked": args.segments}
    if not args.skip_training:
        report["training"] = train_default(args.device, args.epochs, args.train_limit, args.work / "gpu-model")
    shipped = args.model or default_model_dir()
    coding_model = shipped if (shipped / "lccode.json").is_file() else args.work / "gpu-model"
    if not (coding_model / "lccode.json").is_file():
        raise SystemExit(f"no model to code with: nothing shipped at {shipped} and training was skipped")
    report["shipped_model_found"] = coding_model == shipped
    report["coding"] = code_many(coding_model, args.device, args.segments, args.work)
    report["agreement_with_cpu"] = agreement(coding_model, args.device, args.agreement_limit)
    report["total_s"] = round(time.perf_counter() - t0, 1)
    report["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)
    text = json.dumps(report, indent=2)
    args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())

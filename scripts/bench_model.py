"""Coding speed of lccode against baselines measured in the same run, and how close it comes to the hardware.

    .venv/bin/python scripts/bench_model.py [--model models/lc-default] [--device auto] [--n 256]
        [--old-rev db3e1aa] [--repeat 2] [--int8] [--skip-training] [--skip-cli] [-o bench.json]

In one run, on the sample corpus's real segments (`--n` of them, shuffled with a fixed seed):
- anchors: the Hugging Face `transformers.pipeline("feature-extraction")` with the same fine-tuned encoder and
  tokenizer, one segment at a time and batch 32, fp32 (what a user of transformers gets);
- coding: lccode's path (token-sorted batches under a token budget, light load, bf16 autocast where
  `lccode.model.device.cpu_has_fast_bf16()`), its ratio to each anchor, the padding waste, and the largest probability
  difference to the anchor's features put through the same pooling and head;
- physical limit: measured matmul GFLOP/s at the dtype coding uses, times the FLOPs per segment from the real
  token counts (padded as batched, and unpadded) = segments/s the hardware allows; the fraction reached;
- fixed cost: imports and model load in a fresh process, the light load vs the transformers load;
- `lccode code` on a workspace of the whole sample corpus: wall time of the code at `--old-rev` (default: the
  commit before the issue-13 work) vs this checkout, in fresh processes, their ratio, and the share of identical
  segment x code decisions; plus the wall time with nothing left to code (the fixed cost as a user meets it);
  old and new alternate (`--repeat` runs each, best kept) so that other work on the machine hits both alike;
- with `--int8`: dynamic int8 linear layers, their speed and decision agreement (reported, never shipped unless
  >= 99.5% of segment x code decisions are identical);
- an ensemble (lccode.model.ensemble): the anchors above use its first member; its own rate is compared with that
  member's alone;
- training: seconds per optimiser step of the CPU recipe vs full fine-tuning (skip with `--skip-training`).

Prints one JSON object (and writes it with `-o`). Figures depend on the machine and on what else runs on it
(`machine.load_average` is recorded): compare ratios within one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OLD_REV = "db3e1aa"  # last commit before token-budget batches, the light load and the storage thread
H_FLOPS_NOTE = "2 FLOPs per multiply-add; linear layers and attention of all encoder layers; embeddings and head omitted"


def sample_texts(n: int) -> list[str]:
    from lccode.ingest import discover, read_transcript
    from lccode.segment import Segmenter

    found = discover([REPO / "corpus_sample"])
    segs = [s for tr in Segmenter().segment_many([read_transcript(p, m) for p, m in found]) for s in tr]
    random.Random(0).shuffle(segs)
    return [s.text for s in segs[:n]]


def machine() -> dict:
    import platform

    import torch

    from lccode.model.device import cpu_has_fast_bf16

    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").is_file() else platform.processor()
    out = {"cpu": cpu, "cores": len(os.sched_getaffinity(0)), "torch_threads": torch.get_num_threads(),
           "torch": torch.__version__, "cpu_fast_bf16": cpu_has_fast_bf16(),
           "load_average": [round(x, 2) for x in os.getloadavg()],
           "note": "load_average above the core count means other work shared the machine: absolute figures are "
                   "low and noisy, ratios within this run are what to compare"}
    if torch.cuda.is_available():
        out["gpu"] = torch.cuda.get_device_name(0)
    return out


def _rate(fn, n: int) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


# -- FLOPs and the hardware limit -----------------------------------------------------------------------------
def encoder_flops(cfg, rows_widths: list[tuple[int, int]]) -> float:
    """FLOPs of the encoder over batches of (rows, width) tokens, padding included."""
    h, ff, layers = cfg.hidden_size, cfg.intermediate_size, cfg.num_hidden_layers
    total = 0.0
    for rows, width in rows_widths:
        tokens = rows * width
        linear = 2 * tokens * (4 * h * h + 2 * h * ff)
        attention = 2 * 2 * rows * width * width * h  # Q K^T and weights x V
        total += layers * (linear + attention)
    return total


def batches_of(tokenizer, texts, batch_size, max_length, prefix) -> tuple[list, list]:
    """(rows, width) of each batch as lccode cuts them, and (1, length) of each text unpadded."""
    import numpy as np

    from lccode.model.predict import plan_batches

    ids = tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)["input_ids"]
    lengths = np.sort(np.array([len(x) for x in ids]))
    padded = [(e - s, int(lengths[e - 1])) for s, e in plan_batches(lengths, batch_size)]
    return padded, [(1, int(n)) for n in lengths]


def matmul_gflops(dtype, device, seconds: float = 2.0) -> float:
    """Best sustained GFLOP/s of encoder-shaped matmuls (2048 tokens x 384 x 1536 and back) at `dtype`."""
    import torch

    a = torch.randn(2048, 384, dtype=dtype, device=device)
    w1 = torch.randn(384, 1536, dtype=dtype, device=device)
    w2 = torch.randn(1536, 384, dtype=dtype, device=device)
    flops = 2 * 2 * 2048 * 384 * 1536
    best = 0.0
    end = time.perf_counter() + seconds
    with torch.inference_mode():
        for _ in range(3):
            (a @ w1) @ w2
        while time.perf_counter() < end:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t = time.perf_counter()
            for _ in range(10):
                (a @ w1) @ w2
            if device.type == "cuda":
                torch.cuda.synchronize()
            best = max(best, 10 * flops / (time.perf_counter() - t) / 1e9)
    return best


# -- coding throughput, anchors, limit ------------------------------------------------------------------------
def bench_coding(model: Path, device: str, texts: list[str]) -> dict:
    import numpy as np
    import torch
    from transformers import pipeline

    from lccode.model.predict import Coder

    out: dict = {"segments": len(texts)}
    coder = Coder.load(model, None, device)  # what `lccode code` runs
    hf = Coder.load(model, None, device, precision="fp32", light=False)  # the same weights through transformers
    prefix = coder.meta.get("input_prefix", "query: ")
    max_length = coder.meta.get("max_length", 128)
    prefixed = [prefix + t for t in texts]
    pipe = pipeline("feature-extraction", model=hf.model.encoder, tokenizer=hf.tokenizer, device=coder.placement.device,
                    tokenize_kwargs={"truncation": True, "max_length": max_length})
    pipe(prefixed[:8], batch_size=8)  # warm-up
    one = _rate(lambda: pipe(prefixed[:128]), min(128, len(texts)))
    b32 = _rate(lambda: pipe(prefixed, batch_size=32), len(texts))
    # The anchor's features through lccode's pooling and head give the probabilities lccode gives.
    feats = pipe(prefixed[:64])
    with torch.inference_mode():
        pooled = torch.stack([torch.tensor(f[0]).mean(0) for f in feats]).to(coder.placement.device)
        anchor_p = torch.sigmoid(hf.model.logits(pooled) / float(hf.meta.get("temperature", 1.0))).cpu().numpy()
    fp32_p = hf.probabilities(texts[:64])
    out["anchors_fp32"] = {"pipeline_one_by_one_seg_per_s": round(one, 1), "pipeline_batch32_seg_per_s": round(b32, 1),
                           "max_prob_diff_vs_lccode_fp32": float(abs(anchor_p - fp32_p).max())}
    coder.probabilities(texts[:64])  # warm-up
    stats: dict = {}
    rate = _rate(lambda: coder.probabilities(texts, stats=stats), len(texts))
    waste = 1 - stats["tokens"] / stats["padded_tokens"]
    light_fp32 = Coder.load(model, None, device, precision="fp32")
    rate_fp32 = _rate(lambda: light_fp32.probabilities(texts), len(texts))
    p_auto, p_fp32 = coder.probabilities(texts), light_fp32.probabilities(texts)
    out["lccode"] = {"device": coder.placement.describe(), "seg_per_s": round(rate, 1),
                     "vs_pipeline_one_by_one": round(rate / one, 2), "vs_pipeline_batch32": round(rate / b32, 2),
                     "fp32_seg_per_s": round(rate_fp32, 1), "padding_waste": round(waste, 4),
                     "tokens_per_segment": round(stats["tokens"] / len(texts), 1),
                     "padded_tokens_per_segment": round(stats["padded_tokens"] / len(texts), 1)}
    if coder.placement.autocast is not None:
        same = float((coder.decide(p_auto) == light_fp32.decide(p_fp32)).mean())
        out["lccode"] |= {"autocast_vs_fp32": round(rate / rate_fp32, 2), "autocast_identical_decisions_vs_fp32": same,
                          "autocast_max_prob_diff_vs_fp32": float(abs(p_auto - p_fp32).max())}
    # Light load vs transformers load at the precision coding uses: must be the same numbers.
    hf_auto = Coder.load(model, None, device, light=False)
    out["lccode"]["light_load_bit_identical"] = bool(np.array_equal(hf_auto.probabilities(texts), p_auto))
    out["physical_limit"] = physical_limit(coder, texts, rate, max_length, prefix)
    return out


def bench_ensemble(model: Path, device: str, texts: list[str]) -> dict:
    """An ensemble's coding rate against one of its members alone, alternating in this process (best of three)."""
    from lccode.model.predict import Coder

    ens, single = Coder.load(model, None, device), Coder.load(model / "member-1", None, device)
    rates = {"ensemble": 0.0, "member": 0.0}
    for _ in range(3):
        for name, coder in (("ensemble", ens), ("member", single)):
            coder.probabilities(texts[:32])
            rates[name] = max(rates[name], _rate(lambda c=coder: c.probabilities(texts), len(texts)))
    return {"members": len(ens.meta["ensemble"]["members"]), "shared_layers": ens.model.shared_layers,
            "seg_per_s": round(rates["ensemble"], 1), "one_member_seg_per_s": round(rates["member"], 1),
            "time_vs_one_member": round(rates["member"] / rates["ensemble"], 2)}


def physical_limit(coder, texts, rate: float, max_length: int, prefix: str, batch_size: int = 64) -> dict:
    import torch

    dtype = coder.placement.autocast or torch.float32
    gflops = matmul_gflops(dtype, coder.placement.device)
    padded, unpadded = batches_of(coder.tokenizer, texts, batch_size, max_length, prefix)
    per_seg = encoder_flops(coder.model.encoder.config, padded) / len(texts)
    per_seg_unpadded = encoder_flops(coder.model.encoder.config, unpadded) / len(texts)
    limit = gflops * 1e9 / per_seg
    return {"matmul_dtype": str(dtype).replace("torch.", ""), "matmul_gflop_per_s": round(gflops, 1),
            "gflop_per_segment_as_batched": round(per_seg / 1e9, 3), "gflop_per_segment_unpadded": round(per_seg_unpadded / 1e9, 3),
            "limit_seg_per_s_as_batched": round(limit, 1), "limit_seg_per_s_unpadded": round(gflops * 1e9 / per_seg_unpadded, 1),
            "fraction_of_hardware_limit": round(rate / limit, 3), "flops_counted": H_FLOPS_NOTE}


def bench_int8(model: Path, texts: list[str]) -> dict:
    """Dynamic int8 linear layers (torch), CPU only: speed and agreement with the shipped path. Never shipped here."""
    import torch

    from lccode.model.predict import Coder

    ref = Coder.load(model, None, "cpu")
    q = Coder.load(model, None, "cpu", precision="fp32", light=False)
    try:
        q.model.encoder = torch.ao.quantization.quantize_dynamic(q.model.encoder, {torch.nn.Linear}, dtype=torch.qint8)
    except Exception as exc:  # noqa: BLE001 - report whatever this torch build lacks
        return {"available": False, "why": f"{type(exc).__name__}: {exc}"}
    ref.probabilities(texts[:32]), q.probabilities(texts[:32])
    r_ref = _rate(lambda: ref.probabilities(texts), len(texts))
    r_q = _rate(lambda: q.probabilities(texts), len(texts))
    p_ref, p_q = ref.probabilities(texts), q.probabilities(texts)
    same = float((ref.decide(p_ref) == q.decide(p_q)).mean())
    return {"available": True, "seg_per_s": round(r_q, 1), "vs_shipped": round(r_q / r_ref, 2),
            "identical_decisions": round(same, 4), "max_prob_diff": float(abs(p_ref - p_q).max()),
            "shippable": same >= 0.995, "shipped": False}


# -- `lccode code` in fresh processes: old code vs this checkout ----------------------------------------------
def _lccode(src: Path, *args: str) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(src), COLUMNS="100")
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "lccode", *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise SystemExit(f"lccode {' '.join(args)} failed (PYTHONPATH={src}):\n{proc.stderr[-2000:]}")
    return wall, proc.stdout


def _decisions(ws_root: Path, labels: list[str]) -> dict:
    from lccode.workspace import Workspace

    ws = Workspace.open(ws_root)
    try:
        return {k: frozenset(p.codes) for k, p in ws.predictions(ws.current_model_id()).items()}
    finally:
        ws.close()


def bench_lccode_code(model: Path, device: str, old_rev: str | None, tmp: Path, repeat: int = 2) -> dict:
    from lccode.model.storage import read_meta

    new_src = REPO / "src"
    seed = tmp / "seed"
    _lccode(new_src, "init", str(seed))
    _lccode(new_src, "add", "-w", str(seed), str(REPO / "corpus_sample"))
    runs = {"new": new_src}
    if old_rev:
        old = tmp / "old"
        old.mkdir()
        archive = subprocess.run(["git", "-C", str(REPO), "archive", old_rev, "src"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        runs = {"old": old / "src", "new": new_src}
    out: dict = {"old_rev": old_rev, "order": []}
    labels = read_meta(model)["labels"]
    decided = {}
    # Old and new alternate (old, new, new, old, ...) and each keeps its best time, so that a change in what else
    # runs on the machine does not land on one side only.
    names = list(runs)
    order = [n for r in range(repeat) for n in (names if r % 2 == 0 else names[::-1])]
    for i, name in enumerate(order):
        ws = tmp / f"ws-{name}-{i}"
        shutil.copytree(seed, ws)
        wall, _ = _lccode(runs[name], "code", "-w", str(ws), "-m", str(model), "--device", device)
        idle, _ = _lccode(runs[name], "code", "-w", str(ws), "-m", str(model), "--device", device)
        decided[name] = _decisions(ws, labels)
        shutil.rmtree(ws)
        best = out.get(name, {"wall_s": float("inf"), "nothing_to_code_wall_s": float("inf")})
        out[name] = {"wall_s": round(min(wall, best["wall_s"]), 2),
                     "nothing_to_code_wall_s": round(min(idle, best["nothing_to_code_wall_s"]), 2),
                     "segments": len(decided[name])}
        out["order"].append([name, round(wall, 2), round(idle, 2)])
    if old_rev:
        out["speedup_wall"] = round(out["old"]["wall_s"] / out["new"]["wall_s"], 2)
        out["speedup_fixed_cost"] = round(out["old"]["nothing_to_code_wall_s"] / out["new"]["nothing_to_code_wall_s"], 2)
        keys = decided["old"].keys() & decided["new"].keys()
        pairs = len(keys) * len(labels)
        differ = sum(len(decided["old"][k] ^ decided["new"][k]) for k in keys)
        out["identical_segment_code_decisions"] = round(1 - differ / pairs, 5) if pairs else None
    return out


def bench_fixed_cost(model: Path, device: str) -> dict:
    """Imports and model load in a fresh process: the light load vs the transformers load."""
    code = ("import time, sys; t0 = time.perf_counter(); import torch; t1 = time.perf_counter();"
            "from lccode.model.predict import Coder; from lccode.codebook import load_codebook; t2 = time.perf_counter();"
            f"c = Coder.load(r'{model}', None, '{device}', light=sys.argv[1] == '1'); t3 = time.perf_counter();"
            "print(round(t1 - t0, 2), round(t2 - t1, 2), round(t3 - t2, 2), 'transformers' in sys.modules)")
    out = {}
    for name, flag in (("transformers_load", "0"), ("light_load", "1")):
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        res = subprocess.run([sys.executable, "-c", code, flag], env=env, capture_output=True, text=True, check=True)
        torch_s, lccode_s, load_s, imported = res.stdout.split()
        out[name] = {"import_torch_s": float(torch_s), "import_lccode_s": float(lccode_s), "load_s": float(load_s),
                     "total_s": round(float(torch_s) + float(lccode_s) + float(load_s), 2),
                     "imports_transformers": imported == "True"}
    out["speedup"] = round(out["transformers_load"]["total_s"] / out["light_load"]["total_s"], 2)
    return out


# -- training step ---------------------------------------------------------------------------------------------
def bench_training_step(texts: list[str], steps: int = 6) -> dict:
    import torch

    from lccode.codebook import load_codebook
    from lccode.data import Example
    from lccode.model.batching import collate, collate_cached, lower_cache, tokenize
    from lccode.model.modeling import new_model
    from lccode.model.provision import default_base_dir, provision
    from lccode.model.training_args import TrainConfig

    cb = load_codebook()
    cfg = TrainConfig(device="cpu")
    examples = [Example(t, ()) for t in texts[:16 * steps]]
    results = {}
    for label, split_at in (("full_finetune", 0), ("default_cpu_recipe", 8)):
        model, tok = new_model(provision(default_base_dir()), cb.code_ids)
        model.freeze_word_embeddings(True)
        model.freeze_lower(split_at)
        ds = tokenize(tok, examples, cfg, cb.code_ids)
        opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
        t = time.perf_counter()
        cache = lower_cache(model, ds, split_at, tok.pad_token_id, _cpu()) if split_at else None
        model.train()
        for s in range(steps):
            ids = list(range(16 * s, 16 * (s + 1)))
            if cache is not None:
                h, m, y = collate_cached(cache, ds, ids, "cpu")
                logits = model.upper(h, m, split_at)
            else:
                x, m, y = collate(ds, ids, tok.pad_token_id, "cpu")
                logits = model(x, m)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        results[label + "_s_per_step"] = round((time.perf_counter() - t) / steps, 3)
    results["speedup_vs_full"] = round(results["full_finetune_s_per_step"] / results["default_cpu_recipe_s_per_step"], 2)
    return results


def _cpu():
    from lccode.model.device import resolve_device

    return resolve_device("cpu", "fp32")


def _say(what: str) -> None:
    print(f"[bench_model {time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def main(argv=None):
    from lccode.model.device import set_threads
    from lccode.model.training_run import default_model_dir

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", type=Path, default=None)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--n", type=int, default=256, help="segments for the in-process measurements")
    ap.add_argument("--old-rev", default=OLD_REV, help="git revision of the 'old way' for lccode code ('' to skip)")
    ap.add_argument("--repeat", type=int, default=2, help="lccode code runs per side, alternating (best kept)")
    ap.add_argument("--int8", action="store_true", help="also measure dynamic int8 (not shipped)")
    ap.add_argument("--skip-training", action="store_true")
    ap.add_argument("--skip-cli", action="store_true", help="skip the fresh-process measurements")
    ap.add_argument("-o", "--output", type=Path, default=None)
    args = ap.parse_args(argv)
    set_threads()
    model = (args.model or default_model_dir()).resolve()
    texts = sample_texts(args.n)
    report = {"machine": machine(), "model": str(model)}
    _say("coding, anchors and the hardware limit")
    # The anchors compare one encoder with transformers; an ensemble's first member stands for it there.
    single = model / "member-1" if (model / "member-1").is_dir() else model
    report["coding"] = bench_coding(single, args.device, texts) | {"model": str(single)}
    if single != model:
        _say("ensemble vs one member")
        report["ensemble"] = bench_ensemble(model, args.device, texts)
    if args.int8:
        _say("int8")
        report["int8"] = bench_int8(single, texts)
    if not args.skip_cli:
        _say("fixed cost in fresh processes")
        report["fixed_cost"] = bench_fixed_cost(model, args.device)
        _say("lccode code on the sample workspace, old and new")
        with tempfile.TemporaryDirectory(prefix="lccode-bench-") as tmp:
            report["lccode_code_sample_workspace"] = bench_lccode_code(model, args.device, args.old_rev or None, Path(tmp),
                                                                                args.repeat)
    if not args.skip_training:
        _say("training steps")
        report["training_step_cpu"] = bench_training_step(texts)
    report["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(report, indent=2)
    if args.output:
        args.output.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()

"""Fine-tuning: mean-pooled encoder + multi-label head, BCE, early stopping on dev macro-F1,
temperature calibration and per-code thresholds tuned on the dev split."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from pathlib import Path

import numpy as np

from lccode import __version__
from lccode.clock import utc_now
from lccode.data import Example, data_hash, label_matrix
from lccode.model.training_args import TrainConfig

log = logging.getLogger(__name__)


def split_dev(examples: list[Example], fraction: float) -> tuple[list[Example], list[Example]]:
    """Deterministic split by a hash of each example's id/text (whole transcripts by their id): adding data
    never moves old examples, and a transcript's sentences never land on both sides."""
    train, dev = [], []
    for ex in examples:
        key = ex.doc if ex.doc is not None else (ex.id or ex.text)
        h = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) / 0xFFFFFFFF
        (dev if h < fraction else train).append(ex)
    return train, dev


def _seed(seed: int):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding, same randomness across epochs for a seed)."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    pool = batch_size * 50
    batches = []
    for s in range(0, len(idx), pool):
        chunk = sorted(idx[s:s + pool], key=lambda i: lengths[i])
        batches.extend(chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _windows(examples: list[Example], turns_per_window: int) -> list[tuple[list[int], list[float]]]:
    """Training units for the context head (lccode.model.context.turn_windows): whole turns of one transcript led by
    the turn before them, which gives context but no loss; an excerpt is a unit of its own."""
    from lccode.model.context import turn_windows

    return [(rows, [0.0] * lead + [1.0] * (len(rows) - lead))
            for rows, lead in turn_windows([e.position for e in examples], turns_per_window)]


def _pack(windows, rows_per_batch: int, rng: random.Random) -> list[list[int]]:
    """Shuffled windows packed into batches of about rows_per_batch rows."""
    order = list(range(len(windows)))
    rng.shuffle(order)
    batches, cur, size = [], [], 0
    for w in order:
        if cur and size + len(windows[w][0]) > rows_per_batch:
            batches.append(cur)
            cur, size = [], 0
        cur.append(w)
        size += len(windows[w][0])
    if cur:
        batches.append(cur)
    return batches


def _tokenize(tokenizer, examples: list[Example], cfg: TrainConfig, labels: list[str]):
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    ds = Dataset.from_dict({"text": [cfg.input_prefix + e.text for e in examples],
                            "labels": label_matrix(examples, labels).tolist()})
    ds = ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=cfg.max_length), batched=True,
                remove_columns=["text"], desc=None)
    return ds


def _collate(ds, ids: list[int], pad_id: int, device):
    import torch

    rows = ds[ids]
    width = max(len(x) for x in rows["input_ids"])
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for r, seq in enumerate(rows["input_ids"]):
        input_ids[r, :len(seq)] = torch.tensor(seq)
        mask[r, :len(seq)] = 1
    return input_ids.to(device), mask.to(device), torch.tensor(rows["labels"], dtype=torch.float32, device=device)


def _lower_cache(model, ds, k: int, pad_id: int, placement) -> list:
    """Outputs of the frozen lower layers per example (computed once; dropout off, as in inference)."""
    import torch

    from lccode.model.device import autocast

    lengths = [len(x) for x in ds["input_ids"]]
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    cache = [None] * len(lengths)
    model.eval()
    with torch.inference_mode(), autocast(placement):
        for s in range(0, len(order), 64):
            ids = order[s:s + 64]
            input_ids, mask, _ = _collate(ds, ids, pad_id, placement.device)
            hidden = model.lower(input_ids, mask, k).float()
            for r, i in enumerate(ids):
                cache[i] = hidden[r, :lengths[i]].clone()
    return cache


def _collate_cached(cache: list, ds, ids: list[int], device):
    import torch

    width = max(cache[i].shape[0] for i in ids)
    hidden = torch.zeros((len(ids), width, cache[ids[0]].shape[1]), device=device)
    mask = torch.zeros((len(ids), width), dtype=torch.long, device=device)
    for r, i in enumerate(ids):
        hidden[r, :cache[i].shape[0]] = cache[i]
        mask[r, :cache[i].shape[0]] = 1
    return hidden, mask, torch.tensor(ds[ids]["labels"], dtype=torch.float32, device=device)


def train(cfg: TrainConfig, codebook, examples: list[Example], output_dir: str | Path,
          dev_examples: list[Example] | None = None, extra_meta: dict | None = None, progress=None) -> dict:
    """Fine-tune and save a model; returns its metadata (including dev metrics). Labels come from the codebook."""
    import torch

    from lccode.errors import LccodeError
    from lccode.model.context import layout
    from lccode.model.device import autocast, resolve_device, set_threads
    from lccode.model.metrics import fit_temperature, multilabel_report, tune_thresholds
    from lccode.model.modeling import new_model, round_to_half, save_model
    from lccode.model.predict import sigmoid
    from lccode.model.provision import default_base_dir, provision

    labels = codebook.code_ids
    if dev_examples is None:
        train_ex, dev_ex = split_dev(examples, cfg.dev_fraction)
    else:
        train_ex, dev_ex = examples, dev_examples
    if len(train_ex) < 10 or len(dev_ex) < 5:
        raise LccodeError(f"too few labelled segments to train ({len(train_ex)} train, {len(dev_ex)} dev)",
                          expected="at least 10 training and 5 dev segments", fix="add labelled data")
    set_threads()
    _seed(cfg.seed)
    placement = resolve_device(cfg.device, cfg.precision)
    base = cfg.base_model or str(provision(default_base_dir()))
    model, tokenizer = new_model(base, labels, cfg.dropout, cfg.context)
    on_cpu = placement.device.type == "cpu"
    freeze = on_cpu if cfg.freeze_word_embeddings is None else cfg.freeze_word_embeddings
    model.freeze_word_embeddings(freeze)
    n_layers = len(model.encoder.encoder.layer) if model.supports_split() else None
    trainable = cfg.trainable_layers if cfg.trainable_layers is not None else (4 if on_cpu else n_layers)
    split_at = max(0, n_layers - trainable) if n_layers else 0
    model.freeze_lower(split_at)
    model.to(placement.device)
    log.info("Training on %s: %d train / %d dev segments, %d codes, top %s layers trainable, context %s",
             placement.describe(), len(train_ex), len(dev_ex), len(labels), trainable if n_layers else "all",
             "on" if cfg.context else "off")

    train_ds = _tokenize(tokenizer, train_ex, cfg, labels)
    dev_ds = _tokenize(tokenizer, dev_ex, cfg, labels)
    y_train = label_matrix(train_ex, labels)
    y_dev = label_matrix(dev_ex, labels)
    pos = y_train.sum(0)
    pos_weight = np.clip(np.sqrt((len(y_train) - pos) / np.maximum(pos, 1)), 1.0, 8.0) if cfg.class_weighting else np.ones(len(labels))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32, device=placement.device),
                                         reduction="none")
    head_params = list(model.head.parameters()) + (list(model.context.parameters()) if model.context is not None else [])
    enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
    opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.learning_rate},
                             {"params": head_params, "lr": cfg.head_learning_rate}], weight_decay=cfg.weight_decay)
    rng = random.Random(cfg.seed)
    lengths = [len(x) for x in train_ds["input_ids"]]
    windows = _windows(train_ex, cfg.context_turns) if cfg.context else [([i], [1.0]) for i in range(len(train_ex))]

    steps_per_epoch = len(_pack(windows, cfg.batch_size, random.Random(0))) if cfg.context else -(-len(train_ex) // cfg.batch_size)
    total = steps_per_epoch * cfg.epochs
    from transformers import get_linear_schedule_with_warmup

    sched = get_linear_schedule_with_warmup(opt, int(cfg.warmup_ratio * total), total)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    dev_lay = layout([e.position for e in dev_ex]) if cfg.context else None
    best, best_state, history, stale = -1.0, None, [], 0
    t0 = time.perf_counter()
    cache = _lower_cache(model, train_ds, split_at, pad_id, placement) if split_at else None
    dev_cache = _lower_cache(model, dev_ds, split_at, pad_id, placement) if split_at else None

    def dev_logits():
        pooled = _pooled(model, dev_ds, dev_cache, split_at, pad_id, placement)
        with torch.inference_mode():
            return model.logits(pooled, dev_lay).float().cpu().numpy()

    if progress:
        progress("start", steps=total)
    for epoch in range(cfg.epochs):
        model.train()
        running, steps = 0.0, 0
        for rows, weights in _epoch(windows, lengths, cfg, rng):
            positions = _positions(train_ex, rows, rng, cfg.role_dropout) if cfg.context else None
            with autocast(placement):
                if cache is not None:
                    hidden, mask, y = _collate_cached(cache, train_ds, rows, placement.device)
                    pooled = model.upper_pooled(hidden, mask, split_at)
                else:
                    input_ids, mask, y = _collate(train_ds, rows, pad_id, placement.device)
                    pooled = model.pooled(input_ids, mask)
                logits = model.logits(pooled, layout(positions) if positions else None)
            w = torch.tensor(weights, dtype=torch.float32, device=placement.device)
            loss = (loss_fn(logits.float(), y).mean(1) * w).sum() / w.sum().clamp(min=1.0)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            running += loss.item()
            steps += 1
            if progress:
                progress("step", epoch=epoch + 1, loss=loss.item())
        dev_probs = sigmoid(dev_logits())
        th = tune_thresholds(*tuning_rows(dev_ex, y_dev, dev_probs))
        rep = multilabel_report(y_dev, (dev_probs >= th).astype(np.float32), labels)
        history.append({"epoch": epoch + 1, "train_loss": running / max(steps, 1), "dev_macro_f1": rep["macro_f1"],
                        "dev_micro_f1": rep["micro_f1"], "seconds": round(time.perf_counter() - t0, 1)})
        log.info("epoch %d: loss %.4f, dev macro-F1 %.3f, micro-F1 %.3f", epoch + 1, history[-1]["train_loss"],
                 rep["macro_f1"], rep["micro_f1"])
        if progress:
            progress("epoch", **history[-1])
        if rep["macro_f1"] > best:
            best, stale = rep["macro_f1"], 0
            trainable_names = {n for n, p in model.named_parameters() if p.requires_grad}
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()
                          if k in trainable_names or k == "temperature"}
        else:
            stale += 1
            if stale >= cfg.patience:
                log.info("early stop: dev macro-F1 did not improve for %d epochs", cfg.patience)
                break
    model.load_state_dict(best_state, strict=False)
    model.eval()
    # Over frozen lower layers of a provisioned base, only the fine-tuned layers are stored (fp16, see
    # modeling.DELTA_FILE); rounding them first means the thresholds below are tuned on the model as stored.
    delta = None
    if split_at and not cfg.base_model:
        delta = [n for n, p in model.encoder.named_parameters() if p.requires_grad]
        round_to_half(model, delta)
    logits = dev_logits()
    temperature = fit_temperature(logits, y_dev)
    model.temperature.fill_(temperature)
    dev_probs = sigmoid(logits / temperature)
    thresholds = tune_thresholds(*tuning_rows(dev_ex, y_dev, dev_probs))
    dev_pred = (dev_probs >= thresholds).astype(np.float32)
    seconds = time.perf_counter() - t0
    meta = {
        "name": cfg.name, "labels": labels, "codebook_id": codebook.id, "codebook_hash": codebook.hash,
        "codebook_ref": codebook.ref, "base_model": _base_name(base), "lccode_version": __version__,
        "trained_at": utc_now(), "device": placement.describe(),
        "train_seconds": round(seconds, 1), "train_examples": len(train_ex), "dev_examples": len(dev_ex),
        "train_transcripts": len({e.doc for e in train_ex if e.doc}), "dev_transcripts": len({e.doc for e in dev_ex if e.doc}),
        "train_data_hash": data_hash(train_ex), "dev_data_hash": data_hash(dev_ex), "config": cfg.to_dict(),
        "thresholds": {c: round(float(t), 4) for c, t in zip(labels, thresholds)}, "temperature": round(temperature, 4),
        "max_length": cfg.max_length, "input_prefix": cfg.input_prefix, "history": history,
        "context": {"version": 1, "turns_per_window": cfg.context_turns} if cfg.context else None,
        "dev_metrics": dev_metrics(dev_ex, y_dev, dev_pred, labels),
    } | (extra_meta or {})
    return save_model(model.cpu(), tokenizer, Path(output_dir), meta, delta=delta, base=base)


def tuning_rows(examples: list[Example], y: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows thresholds are tuned on: each excerpt, and each transcript turn with its segments' highest
    probability per code, since a researcher reads a transcript's codes per turn (a turn carries a code when
    any of its segments does)."""
    from lccode.model.metrics import turn_level

    excerpts = [i for i, e in enumerate(examples) if e.doc is None]
    sentences = [i for i, e in enumerate(examples) if e.doc is not None]
    if not sentences:
        return y, probs
    yt, pt, _ = turn_level([examples[i] for i in sentences], y[sentences], probs[sentences])
    return np.vstack([y[excerpts], yt]), np.vstack([probs[excerpts], pt])


def dev_metrics(examples: list[Example], y: np.ndarray, pred: np.ndarray, labels: list[str]) -> dict:
    """Figures on all dev segments, per language, on excerpts and transcript sentences apart, and per speaker turn."""
    from lccode.model.metrics import multilabel_report, turn_level

    report = multilabel_report(y, pred, labels)
    out = _summary(report) | {"per_code": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                                           for c, m in report["per_code"].items()}}
    out["per_language"] = {lang: _summary(multilabel_report(y[rows], pred[rows], labels))
                           for lang in sorted({e.lang for e in examples if e.lang})
                           if (rows := [i for i, e in enumerate(examples) if e.lang == lang])}
    excerpts = [i for i, e in enumerate(examples) if e.doc is None]
    sentences = [i for i, e in enumerate(examples) if e.doc is not None]
    if excerpts and sentences:
        out["excerpts"] = _summary(multilabel_report(y[excerpts], pred[excerpts], labels))
    if sentences:
        out["transcript_segments"] = _summary(multilabel_report(y[sentences], pred[sentences], labels))
        yt, pt, langs = turn_level([examples[i] for i in sentences], y[sentences], pred[sentences])
        turns = multilabel_report(yt, pt, labels)
        out["transcript_turns"] = _summary(turns) | {
            "per_code": {c: {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()}
                         for c, m in turns["per_code"].items()},
            "per_language": {lang: _summary(multilabel_report(yt[rows], pt[rows], labels))
                             for lang in sorted(set(langs) - {None}) if (rows := [i for i, l in enumerate(langs) if l == lang])}}
    from lccode.model.evaluate import RELIABLE_KAPPA

    basis = out.get("transcript_turns", out)["per_code"]
    out["unreliable"] = sorted(c for c, m in basis.items() if m["support"] and not (m["kappa"] >= RELIABLE_KAPPA))
    return out


def _epoch(windows, lengths, cfg: TrainConfig, rng: random.Random):
    """(rows, loss weights) per step: packed transcript windows with context, length-sorted batches without."""
    if cfg.context:
        for b in _pack(windows, cfg.batch_size, rng):
            yield [r for w in b for r in windows[w][0]], [x for w in b for x in windows[w][1]]
    else:
        for rows in _batches(lengths, cfg.batch_size, rng):
            yield rows, [1.0] * len(rows)


def _positions(examples: list[Example], rows: list[int], rng: random.Random, role_dropout: float):
    """Positions of a batch's rows; windows of one transcript stay apart, and roles are sometimes hidden so
    the model also codes transcripts whose speakers have no known role."""
    from lccode.model.context import Position

    out, window, last = [], 0, None
    for r in rows:
        e = examples[r]
        if e.doc is None or last is None or last.doc != e.doc or (last.turn or 0) > (e.turn or 0):
            window += 1
        role = None if rng.random() < role_dropout else e.speaker
        out.append(Position(None if e.doc is None else f"{e.doc}#{window}", e.turn, role, e.kind))
        last = e
    return out


def _pooled(model, ds, cache, split_at: int, pad_id: int, placement):
    """Pooled embeddings of every row of ds (over the cached lower layers when there are some), in row order."""
    import torch

    from lccode.model.device import autocast

    n = len(ds)
    lengths = [len(x) for x in ds["input_ids"]]
    order = sorted(range(n), key=lambda i: lengths[i])
    out = None
    model.eval()
    with torch.inference_mode(), autocast(placement):
        for s in range(0, n, 64):
            ids = order[s:s + 64]
            if cache is not None:
                hidden, mask, _ = _collate_cached(cache, ds, ids, placement.device)
                pooled = model.upper_pooled(hidden, mask, split_at).float()
            else:
                input_ids, mask, _ = _collate(ds, ids, pad_id, placement.device)
                pooled = model.pooled(input_ids, mask).float()
            if out is None:
                out = torch.zeros((n, pooled.shape[1]), device=pooled.device)
            out[torch.tensor(ids, device=pooled.device)] = pooled
    return out


def _summary(rep: dict) -> dict:
    keys = ("n", "micro_precision", "micro_recall", "micro_f1", "macro_f1", "mean_kappa", "krippendorff_alpha", "exact_match")
    return {k: (round(rep[k], 4) if isinstance(rep[k], float) else rep[k]) for k in keys}


def _base_name(base: str) -> str:
    from lccode.model.provision import PROVENANCE

    prov = Path(base) / PROVENANCE
    if prov.is_file():
        import json

        info = json.loads(prov.read_text())
        return f"{info['name']} from {info['source']} (sha256 {info['weights_sha256'][:12]})"
    return str(base)

"""Fine-tuning: mean-pooled encoder + multi-label head, BCE, early stopping on dev macro-F1,
temperature calibration and per-code thresholds tuned on the dev split."""

from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lccode import __version__
from lccode.clock import utc_now
from lccode.data import Example, data_hash, label_matrix
from lccode.model.batching import batch_positions, collate, collate_cached, epoch_batches, lower_cache, pack, pooled_rows, tokenize, windows
from lccode.model.dev_report import calibrate_on_dev, dev_metrics, tuning_rows
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


def train(cfg: TrainConfig, codebook, examples: list[Example], output_dir: str | Path,
          dev_examples: list[Example] | None = None, extra_meta: dict | None = None, progress=None) -> dict:
    """Fine-tune and save a model; returns its metadata (including dev metrics). Labels come from the codebook."""
    from lccode.errors import LccodeError
    from lccode.model.device import resolve_device, set_threads
    from lccode.model.provision import default_base_dir, provision
    from lccode.model.storage import save_model

    labels = codebook.code_ids
    train_ex, dev_ex = split_dev(examples, cfg.dev_fraction) if dev_examples is None else (examples, dev_examples)
    if len(train_ex) < 10 or len(dev_ex) < 5:
        raise LccodeError(f"too few labelled segments to train ({len(train_ex)} train, {len(dev_ex)} dev)",
                          expected="at least 10 training and 5 dev segments", fix="add labelled data")
    set_threads()
    placement = resolve_device(cfg.device, cfg.precision)
    base = cfg.base_model or str(provision(default_base_dir()))
    t0 = time.perf_counter()
    runs = []
    for i in range(cfg.members):  # members are seeded seed, seed+1, ...; each is an ordinary run
        _seed(cfg.seed + i)
        run = _Run(replace(cfg, seed=cfg.seed + i), base, labels, placement, train_ex, dev_ex)
        if progress and cfg.members > 1:
            progress("member", index=i + 1, of=cfg.members)
        history = run.fit(progress)
        runs.append(_Member(run.model, run.tokenizer, *run.calibrate(), history, cfg.seed + i))
        del run  # its cached lower layers are the bulk of training memory
    y_dev = label_matrix(dev_ex, labels)
    model, delta, (temperature, thresholds, dev_pred, review), history = _combine(runs, dev_ex, y_dev)
    meta = {
        "name": cfg.name, "labels": labels, "codebook_id": codebook.id, "codebook_hash": codebook.hash,
        "codebook_ref": codebook.ref, "base_model": _base_name(base), "lccode_version": __version__,
        "trained_at": utc_now(), "device": placement.describe(),
        "train_seconds": round(time.perf_counter() - t0, 1), "train_examples": len(train_ex),
        "dev_examples": len(dev_ex), "train_transcripts": len({e.doc for e in train_ex if e.doc}),
        "dev_transcripts": len({e.doc for e in dev_ex if e.doc}),
        "train_data_hash": data_hash(train_ex), "dev_data_hash": data_hash(dev_ex), "config": cfg.to_dict(),
        "thresholds": {c: round(float(t), 4) for c, t in zip(labels, thresholds)}, "temperature": round(temperature, 4),
        "max_length": cfg.max_length, "input_prefix": cfg.input_prefix, "history": history,
        "context": {"version": 1, "turns_per_window": cfg.context_turns} if cfg.context else None,
        "dev_metrics": dev_metrics(dev_ex, y_dev, dev_pred, labels),
        "review_model": review.to_dict() if review else None,
    } | (extra_meta or {})
    if cfg.members == 1:
        return save_model(model.cpu(), runs[0].tokenizer, Path(output_dir), meta, delta=delta, base=base)
    from lccode.model.ensemble import save_ensemble

    own = [{"seed": m.seed, "temperature": round(m.temperature, 4), "history": m.history,
            "thresholds": {c: round(float(t), 4) for c, t in zip(labels, m.thresholds)},
            "dev_metrics": dev_metrics(dev_ex, y_dev, m.dev_pred, labels)} for m in runs]
    return save_ensemble(model.cpu(), runs[0].tokenizer, Path(output_dir), meta, delta, base, member_metas=own)


@dataclass
class _Member:
    """A trained, calibrated run kept for an ensemble (its training caches are gone)."""

    model: object
    tokenizer: object
    delta: list | None
    temperature: float
    thresholds: np.ndarray
    dev_pred: np.ndarray
    review: object
    dev_logits: np.ndarray
    history: list
    seed: int


def _combine(runs: list[_Member], dev_ex: list[Example], y_dev: np.ndarray):
    """(model, delta names, calibration, history): a single run as it is; several as one lccode.model.ensemble.Ensemble,
    calibrated on the mean of their dev logits (what it computes)."""
    from lccode.model.ensemble import Ensemble, shared_layers_of

    if len(runs) == 1:
        m = runs[0]
        return m.model, m.delta, (m.temperature, m.thresholds, m.dev_pred, m.review), m.history

    deltas = [m.delta for m in runs]
    model = Ensemble([m.model.cpu() for m in runs], shared_layers_of(deltas))
    calibration = calibrate_on_dev(np.mean([m.dev_logits for m in runs], axis=0), dev_ex, y_dev)
    model.temperature.fill_(calibration[0])
    history = [{"member": m.seed, **h} for m in runs for h in m.history]
    return model, deltas, calibration, history


class _Run:
    """One fine-tuning run: the model with its frozen lower layers cached, the optimiser and both splits."""

    def __init__(self, cfg: TrainConfig, base: str, labels: list[str], placement, train_ex, dev_ex):
        import torch
        from transformers import get_linear_schedule_with_warmup

        from lccode.model.context import layout
        from lccode.model.modeling import new_model

        self.cfg, self.labels, self.placement, self.train_ex, self.dev_ex = cfg, labels, placement, train_ex, dev_ex
        model, self.tokenizer = new_model(base, labels, cfg.dropout, cfg.context)
        on_cpu = placement.device.type == "cpu"
        model.freeze_word_embeddings(on_cpu if cfg.freeze_word_embeddings is None else cfg.freeze_word_embeddings)
        n_layers = len(model.encoder.encoder.layer) if model.supports_split() else None
        trainable = cfg.trainable_layers if cfg.trainable_layers is not None else (4 if on_cpu else n_layers)
        self.split_at = max(0, n_layers - trainable) if n_layers else 0
        model.freeze_lower(self.split_at)
        self.model = model.to(placement.device)
        log.info("Training on %s: %d train / %d dev segments, %d codes, top %s layers trainable, context %s",
                 placement.describe(), len(train_ex), len(dev_ex), len(labels), trainable if n_layers else "all",
                 "on" if cfg.context else "off")

        self.train_ds = tokenize(self.tokenizer, train_ex, cfg, labels)
        self.dev_ds = tokenize(self.tokenizer, dev_ex, cfg, labels)
        self.y_dev = label_matrix(dev_ex, labels)
        self.loss_fn = _loss_fn(cfg, label_matrix(train_ex, labels), placement.device)
        head_params = model.head_parameters()
        enc_params = [p for p in model.encoder.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW([{"params": enc_params, "lr": cfg.learning_rate},
                                      {"params": head_params, "lr": cfg.head_learning_rate}], weight_decay=cfg.weight_decay)
        self.rng = random.Random(cfg.seed)
        self.lengths = [len(x) for x in self.train_ds["input_ids"]]
        self.units = windows(train_ex, cfg.context_turns, cfg.excerpt_weight) if cfg.context else [([i], [1.0]) for i in range(len(train_ex))]
        steps_per_epoch = (len(pack(self.units, cfg.batch_size, random.Random(0))) if cfg.context
                           else -(-len(train_ex) // cfg.batch_size))
        self.total = steps_per_epoch * cfg.epochs
        self.sched = get_linear_schedule_with_warmup(self.opt, int(cfg.warmup_ratio * self.total), self.total)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        self.dev_lay = layout([e.position for e in dev_ex]) if cfg.context else None
        self.t0 = time.perf_counter()
        k = self.split_at
        self.cache = lower_cache(model, self.train_ds, k, self.pad_id, placement) if k else None
        self.dev_cache = lower_cache(model, self.dev_ds, k, self.pad_id, placement) if k else None

    def dev_logits(self) -> np.ndarray:
        import torch

        pooled = pooled_rows(self.model, self.dev_ds, self.dev_cache, self.split_at, self.pad_id, self.placement)
        with torch.inference_mode():
            return self.model.logits(pooled, self.dev_lay).float().cpu().numpy()

    def step(self, rows: list[int], weights: list[float]) -> float:
        import torch

        from lccode.model.context import layout
        from lccode.model.device import autocast

        cfg, model, device = self.cfg, self.model, self.placement.device
        positions = batch_positions(self.train_ex, rows, self.rng, cfg.role_dropout) if cfg.context else None
        lay = layout(positions) if positions else None
        with autocast(self.placement):
            if self.cache is not None:
                hidden, mask, y = collate_cached(self.cache, self.train_ds, rows, device)
                pooled = model.upper_pooled(hidden, mask, self.split_at)
            else:
                input_ids, mask, y = collate(self.train_ds, rows, self.pad_id, device)
                pooled = model.pooled(input_ids, mask)
            logits = model.logits(pooled, lay).float()
        w = torch.tensor(weights, dtype=torch.float32, device=device)
        loss = (self.loss_fn(logits, y).mean(1) * w).sum() / w.sum().clamp(min=1.0)
        if cfg.turn_loss and lay is not None:
            loss = loss + cfg.turn_loss * _turn_loss(logits, y, lay, positions, weights, self.loss_fn)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        self.opt.step()
        self.sched.step()
        return loss.item()

    def fit(self, progress=None) -> list[dict]:
        """Epochs with early stopping on dev macro-F1 (thresholds tuned as in the end); the best epoch is kept."""
        from lccode.model.metrics import multilabel_report, tune_thresholds
        from lccode.model.predict import sigmoid

        cfg, model = self.cfg, self.model
        best, best_state, history, stale = -1.0, None, [], 0
        if progress:
            progress("start", steps=self.total)
        for epoch in range(cfg.epochs):
            model.train()
            losses = []
            for rows, weights in epoch_batches(self.units, self.lengths, cfg, self.rng):
                losses.append(self.step(rows, weights))
                if progress:
                    progress("step", epoch=epoch + 1, loss=losses[-1])
            dev_probs = sigmoid(self.dev_logits())
            th = tune_thresholds(*tuning_rows(self.dev_ex, self.y_dev, dev_probs))
            rep = multilabel_report(self.y_dev, (dev_probs >= th).astype(np.float32), self.labels)
            history.append({"epoch": epoch + 1, "train_loss": sum(losses) / max(len(losses), 1),
                            "dev_macro_f1": rep["macro_f1"], "dev_micro_f1": rep["micro_f1"],
                            "seconds": round(time.perf_counter() - self.t0, 1)})
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
        return history

    def calibrate(self):
        """(names of the stored fine-tuned encoder weights or None, temperature, thresholds, dev decisions, the
        review order's error model or None, dev logits)."""
        from lccode.model.storage import round_to_half

        # Over frozen lower layers of a provisioned base, only the fine-tuned layers are stored (fp16, see
        # storage.DELTA_FILE); rounding them first means the thresholds below are tuned on the model as stored.
        delta = None
        if self.split_at and not self.cfg.base_model:
            delta = [n for n, p in self.model.encoder.named_parameters() if p.requires_grad]
            round_to_half(self.model, delta)
        logits = self.dev_logits()
        temperature, thresholds, dev_pred, review = calibrate_on_dev(logits, self.dev_ex, self.y_dev)
        self.model.temperature.fill_(temperature)
        return delta, temperature, thresholds, dev_pred, review, logits


def _loss_fn(cfg: TrainConfig, y_train: np.ndarray, device):
    """BCE per code; rare codes weigh more (square root of the negative/positive ratio, between 1 and 8)."""
    import torch

    pos = y_train.sum(0)
    pos_weight = (np.clip(np.sqrt((len(y_train) - pos) / np.maximum(pos, 1)), 1.0, 8.0) if cfg.class_weighting
                  else np.ones(y_train.shape[1]))
    return torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pos_weight, dtype=torch.float32, device=device),
                                      reduction="none")


def _turn_loss(logits, y, lay, positions, weights, loss_fn):
    """Loss on each transcript turn's highest logit per code against the turn's codes (the union of its
    segments'), so training sees what a researcher reads: which codes a turn carries, whichever sentence
    carries them. Context-only rows (weight 0) and stand-alone excerpts take no part."""
    import torch

    group = torch.as_tensor(lay.group, device=logits.device)
    idx = group.unsqueeze(1).expand_as(logits)
    shape = (lay.n_groups, logits.shape[1])
    turn_logits = logits.new_full(shape, -1e4).scatter_reduce(0, idx, logits, "amax", include_self=False)
    turn_y = y.new_zeros(shape).scatter_reduce(0, idx, y, "amax", include_self=False)
    keep = np.zeros(lay.n_groups, dtype=bool)
    for g, p, wt in zip(lay.group, positions, weights):
        if p.doc is not None and wt > 0:
            keep[g] = True
    if not keep.any():
        return logits.new_zeros(())
    return loss_fn(turn_logits, turn_y).mean(1)[torch.as_tensor(keep, device=logits.device)].mean()


def _base_name(base: str) -> str:
    from lccode.model.provision import PROVENANCE

    prov = Path(base) / PROVENANCE
    if prov.is_file():
        import json

        info = json.loads(prov.read_text())
        return f"{info['name']} from {info['source']} (sha256 {info['weights_sha256'][:12]})"
    return str(base)

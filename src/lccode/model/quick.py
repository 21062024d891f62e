"""Quick retraining: new heads for an existing model, trained in seconds over pooled embeddings.

The encoder is left as it is, so each segment's pooled embedding is computed once (and cached, see
lccode.model.pooled); only the plain head and the context head are trained, warm-started from the parent model, on
the analysts' decisions (weighted up) plus a replay sample of the bundled training data (so the heads do not
forget what the decisions do not cover). Temperature and per-code thresholds are then fitted again on the
bundled dev split, and the model is saved in the usual folder format with its provenance: the parent model,
the decisions used, the replay sample and the seconds it took. The full retrain (`lccode train
--from-workspace`) stays available and also tunes the encoder's top layers.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lccode.errors import LccodeError


@dataclass(frozen=True)
class QuickConfig:
    epochs: int = 6
    batch_rows: int = 256
    learning_rate: float = 2e-3      # heads only, warm-started, large batches
    weight_decay: float = 0.01
    replay: int = 1500               # rows of bundled training data replayed (whole turns, with their context)
    decision_weight: float = 3.0     # an analyst's decision counts this many times a replayed row
    role_dropout: float = 0.15
    # Pull towards the parent's heads (L2-SP: anchor * squared distance), so a few hundred decisions and a small
    # replay sample adjust the heads instead of refitting them from a sample.
    anchor: float = 1.0
    seed: int = 13

    def __post_init__(self):
        problems = [msg for bad, msg in (
            (self.epochs < 1, "epochs must be at least 1"), (self.batch_rows < 1, "batch_rows must be at least 1"),
            (not 0 < self.learning_rate < 1, "learning_rate must be between 0 and 1"),
            (self.replay < 0, "replay must be >= 0"), (self.decision_weight <= 0, "decision_weight must be > 0"),
            (not 0 <= self.role_dropout < 1, "role_dropout must be in [0, 1)")) if bad]
        if problems:
            raise LccodeError("; ".join(problems), fix="change the quick-retraining options")


@dataclass(frozen=True)
class Block:
    """Rows read together (one turn and the turn before it, or a few excerpts): pooled embeddings, positions,
    labels and loss weights (0 = context only)."""

    pooled: np.ndarray
    positions: tuple
    y: np.ndarray
    weights: np.ndarray


def windows(positions: list, weights, turns: int = 4) -> list[tuple[list[int], list[float]]]:
    """Rows cut into training units: up to `turns` turns of one document led by the turn before them (context
    only, weight 0), or 16 excerpts (doc None); units without a weighted row are dropped. Documents' rows must
    be consecutive and in order."""
    from lccode.model.context import turn_windows

    out: list[tuple[list[int], list[float]]] = []
    loose: list[int] = []
    for rows, lead in turn_windows(positions, turns):
        if positions[rows[0]].doc is None:
            loose.extend(rows)
            continue
        w = [0.0] * lead + [float(weights[r]) for r in rows[lead:]]
        if sum(w) > 0:
            out.append((rows, w))
    for s in range(0, len(loose), 16):
        rows = loose[s:s + 16]
        w = [float(weights[r]) for r in rows]
        if sum(w) > 0:
            out.append((rows, w))
    return out


def blocks(pooled: np.ndarray, positions: list, y: np.ndarray, units) -> list[Block]:
    """Units from `windows` (row indices into pooled/positions/y) as training blocks."""
    return [Block(pooled[rows], tuple(positions[r] for r in rows), y[rows], np.asarray(w, dtype=np.float32))
            for rows, w in units]


def sample_units(units: list, rows: int, rng: random.Random) -> list:
    """Whole units drawn at random until about `rows` weighted rows."""
    order = list(range(len(units)))
    rng.shuffle(order)
    out, total = [], 0
    for u in order:
        if total >= rows:
            break
        out.append(units[u])
        total += sum(1 for w in units[u][1] if w > 0)
    return out


@dataclass(frozen=True)
class Bundle:
    """The bundled data a quick retrain needs: a replay sample of the training data and the dev split."""

    replay: list[Block]
    dev_pooled: np.ndarray
    dev_y: np.ndarray
    dev_examples: list
    files: dict


def load_bundle(coder, cache, cfg: QuickConfig, exclude_texts=frozenset(), progress=None,
                train_files: list[Path] | None = None, dev_files: list[Path] | None = None) -> Bundle:
    """Replay sample and dev split of the data the parent model was trained with (the bundled data by default,
    or the files given), encoded through `cache` (a lccode.model.pooled.PooledCache for the parent's encoder)."""
    from lccode.data import label_matrix
    from lccode.gold import load_examples
    from lccode.model.training_run import default_training_files

    labels = coder.labels
    default_train, default_dev = default_training_files()
    if not train_files:
        train_files = [Path(p) for p in coder.meta.get("train_files") or []]
        train_files = train_files if train_files and all(p.exists() for p in train_files) else default_train
    if not dev_files:
        dev_files = [Path(p) for p in coder.meta.get("dev_files") or []]
        dev_files = dev_files if dev_files and all(p.exists() for p in dev_files) else default_dev
    if not train_files or not dev_files:
        raise LccodeError("quick retraining needs the training and dev data the model was trained with",
                          expected="training_data/ of an lccode checkout, or the files named in the model's lccode.json",
                          fix="run the full retrain instead: lccode train --from-workspace WS")
    train_ex = [e for p in train_files for e in load_examples(p, labels)]
    dev_ex = [e for p in dev_files for e in load_examples(p, labels)]
    rng = random.Random(cfg.seed)
    # The sample does not depend on which texts are excluded (their rows only lose their weight), so every quick
    # retrain of a model replays the same rows and finds them in the cache.
    units = sample_units(windows([e.position for e in train_ex], [1.0] * len(train_ex)), cfg.replay, rng)
    units = [(u, [0.0 if train_ex[r].text in exclude_texts else x for r, x in zip(u, w)]) for u, w in units]
    units = [(u, w) for u, w in units if sum(w) > 0]
    rows = sorted({r for u, _ in units for r in u})
    index = {r: i for i, r in enumerate(rows)}
    total = len(rows) + len(dev_ex)
    done = [0]

    def tick(n):
        done[0] += n
        if progress:
            progress("encoding", done[0], total)

    pooled = coder.pooled([train_ex[r].text for r in rows], cache=cache, progress=tick)
    y = label_matrix([train_ex[r] for r in rows], labels)
    positions = [train_ex[r].position for r in rows]
    replay = blocks(pooled, positions, y, [([index[r] for r in u], w) for u, w in units])
    dev_pooled = coder.pooled([e.text for e in dev_ex], cache=cache, progress=tick)
    cache.save()
    return Bundle(replay, dev_pooled, label_matrix(dev_ex, labels), dev_ex,
                  {"train": [str(p) for p in train_files], "dev": [str(p) for p in dev_files]})


def fit_heads(model, train_blocks: list[Block], cfg: QuickConfig, progress=None) -> list[float]:
    """Train the plain and context heads of `model` in place (encoder untouched); returns the loss per epoch."""
    import torch

    from lccode.model.context import layout
    from lccode.records import Position

    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    y_all = np.vstack([b.y[b.weights > 0] for b in train_blocks])
    pos = y_all.sum(0)
    pos_weight = torch.tensor(np.clip(np.sqrt((len(y_all) - pos) / np.maximum(pos, 1)), 1.0, 8.0), dtype=torch.float32)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    params = model.head_parameters()
    for p in model.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=cfg.learning_rate, weight_decay=0.0 if cfg.anchor else cfg.weight_decay)
    start = [p.detach().clone() for p in params]
    batches_per_epoch = max(1, -(-sum(len(b.weights) for b in train_blocks) // cfg.batch_rows))
    losses = []
    model.train()
    for epoch in range(cfg.epochs):
        order = list(range(len(train_blocks)))
        rng.shuffle(order)
        total, steps, cur = 0.0, 0, []
        for k, b in enumerate(order):
            cur.append(train_blocks[b])
            if sum(len(x.weights) for x in cur) < cfg.batch_rows and k < len(order) - 1:
                continue
            positions = []
            for n, blk in enumerate(cur):  # blocks stay apart, and roles are sometimes hidden (as in training)
                positions += [Position(None if p.doc is None else f"{p.doc}#{n}", p.turn,
                                       None if rng.random() < cfg.role_dropout else p.role, p.kind) for p in blk.positions]
            x = torch.as_tensor(np.vstack([blk.pooled for blk in cur]))
            y = torch.as_tensor(np.vstack([blk.y for blk in cur]))
            w = torch.as_tensor(np.concatenate([blk.weights for blk in cur]))
            logits = model.logits(x, layout(positions) if model.context is not None else None)
            loss = (loss_fn(logits, y).mean(1) * w).sum() / w.sum().clamp(min=1.0)
            if cfg.anchor:
                loss = loss + cfg.anchor * sum(((p - p0) ** 2).sum() for p, p0 in zip(params, start))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            total += loss.item()
            steps += 1
            cur = []
            if progress:
                progress("training", epoch * batches_per_epoch + min(steps, batches_per_epoch),
                         cfg.epochs * batches_per_epoch)
        losses.append(total / max(steps, 1))
    model.eval()
    return losses


def calibrate(model, pooled: np.ndarray, examples: list, y: np.ndarray):
    """Temperature, per-code thresholds and the review order's error model, fitted on the dev examples'
    embeddings as `lccode train` does (thresholds on dev excerpts and whole dev turns, `dev_report.tuning_rows`;
    the error model on the dev transcripts); returns them and the dev decisions."""
    import torch

    from lccode.model.context import layout
    from lccode.model.dev_report import calibrate_on_dev

    lay = layout([e.position for e in examples]) if model.context is not None else None
    with torch.inference_mode():
        logits = model.logits(torch.as_tensor(pooled), lay).numpy()
    temperature, thresholds, dev_pred, review = calibrate_on_dev(logits, examples, y)
    model.temperature.fill_(temperature)
    return temperature, thresholds, dev_pred, review


@dataclass(frozen=True)
class Retrained:
    temperature: float
    thresholds: np.ndarray
    dev_metrics: dict
    losses: list
    seconds: float
    review_model: dict | None = None  # lccode.model.error_model, refitted with the thresholds


def retrain(coder, decided: list[Block], bundle: Bundle, cfg: QuickConfig, progress=None) -> Retrained:
    """Train the coder's heads in place on the decided blocks plus the replay sample, then calibrate on dev.
    The coder's meta is not changed: save with `quick_save.save_quick` (or use `coder_meta` for a model kept in memory)."""
    from lccode.model.dev_report import dev_metrics

    t0 = time.perf_counter()
    if not decided:
        raise LccodeError("no reviewed segments to learn from", expected="at least one coded decision",
                          fix="review some segments first (lccode review serve)")
    losses = fit_heads(coder.model, list(decided) + bundle.replay, cfg, progress)
    if progress:
        progress("calibrating", 0, 1)
    temperature, thresholds, dev_pred, review = calibrate(coder.model, bundle.dev_pooled, bundle.dev_examples,
                                                          bundle.dev_y)
    metrics = dev_metrics(bundle.dev_examples, bundle.dev_y, dev_pred, coder.labels)
    return Retrained(temperature, thresholds, metrics, [round(x, 5) for x in losses], time.perf_counter() - t0,
                     review.to_dict() if review else None)


def coder_meta(meta: dict, labels: list[str], result: Retrained) -> dict:
    """The parent's meta with the retrained calibration (for coding with a model that is not saved)."""
    return meta | {"temperature": result.temperature, "review_model": result.review_model,
                   "thresholds": {c: float(t) for c, t in zip(labels, result.thresholds)}}


def delta_names(folder: Path) -> list[str] | None:
    """The encoder parameters a delta model stores (a quick model stores the same ones), or None."""
    from lccode.model.storage import DELTA_FILE

    path = Path(folder) / DELTA_FILE
    if not path.is_file():
        return None
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        return list(f.keys())


def warm_cache(model_dir: str | Path, cfg: QuickConfig | None = None) -> int:
    """Encode, once, the bundled data a quick retrain of this model replays and calibrates on, so the first
    quick retrain is as fast as the later ones (`lccode train` calls this after saving). Returns rows cached."""
    from lccode.model.pooled import PooledCache, encoder_key
    from lccode.model.predict import Coder
    from lccode.model.provision import models_dir

    coder = Coder.load(model_dir, None, "cpu")
    cache = PooledCache.open(models_dir() / "cache", encoder_key(model_dir, coder.meta),
                             coder.meta.get("input_prefix", "query: "), coder.meta.get("max_length", 128))
    load_bundle(coder, cache, cfg or QuickConfig())
    return len(cache.vectors)

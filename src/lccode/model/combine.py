"""Join trained models of one recipe into an ensemble (lccode.model.ensemble) and calibrate it on their dev split.

`lccode train --members N` trains and joins in one go; this joins models that already exist (for instance runs with
other seeds trained on other machines), so the hours they took are not spent again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from lccode.errors import ModelError

log = logging.getLogger(__name__)

# What must agree between members: a member trained for another codebook, base, input or context reads different text.
_SAME = ("labels", "codebook_hash", "input_prefix", "max_length", "context", "dev_data_hash")
# What may differ (a member trained after more data was written): each member keeps its own, the ensemble lists them.
_DATA = ("train_examples", "train_transcripts", "train_data_hash", "train_files")


def check_members(member_dirs: list[Path], metas: list[dict]) -> None:
    if len(member_dirs) < 2:
        raise ModelError(f"an ensemble needs at least two models, got {len(member_dirs)}",
                         fix="name two or more trained model folders")
    for d, m in zip(member_dirs, metas):
        if m.get("ensemble"):
            raise ModelError("this model is already an ensemble", file=d, fix="name its single-model members instead")
    for d, m in zip(member_dirs[1:], metas[1:]):
        for key in _SAME:
            if m.get(key) != metas[0].get(key):
                raise ModelError(f"this model differs from {member_dirs[0]} in '{key}'", file=d,
                                 expected="models trained on the same codebook, dev split and input settings",
                                 fix="join only runs of one recipe (e.g. lccode train with different --seed)")
        base = ((m.get("encoder") or {}).get("base_weights_sha256"), (metas[0].get("encoder") or {}).get("base_weights_sha256"))
        if base[0] != base[1]:
            raise ModelError(f"this model was fine-tuned from another base model than {member_dirs[0]}", file=d,
                             fix="join only models fine-tuned from the same base model")


def combine(member_dirs: list[Path], output: Path, name: str | None = None, dev_files: list[Path] | None = None,
            dev_examples: list | None = None) -> dict:
    """Load the members, average their logits on the dev examples (`dev_examples`, else those read from `dev_files`,
    else the bundled dev split), fit temperature, thresholds and the review order's model to the average, and save
    the ensemble; returns its metadata."""
    from lccode import __version__
    from lccode.clock import utc_now
    from lccode.codebook import load_codebook
    from lccode.data import label_matrix
    from lccode.gold import load_examples
    from lccode.model.dev_report import calibrate_on_dev, dev_metrics
    from lccode.model.device import resolve_device, set_threads
    from lccode.model.ensemble import Ensemble, joint_digest, save_ensemble, shared_layers_of
    from lccode.model.predict import batch_logits
    from lccode.model.provision import default_base_dir
    from lccode.model.quick import delta_names
    from lccode.model.storage import HELD_OUT_FIGURES, load_model, read_meta
    from lccode.model.training_run import default_training_files

    member_dirs = [Path(d) for d in member_dirs]
    metas = [read_meta(d) for d in member_dirs]
    check_members(member_dirs, metas)
    codebook = load_codebook()
    dev_ex = dev_examples or [ex for path in dev_files or default_training_files()[1]
                              for ex in load_examples(path, codebook.code_ids)]
    y_dev = label_matrix(dev_ex, codebook.code_ids)
    set_threads()
    placement = resolve_device("cpu", "fp32")
    models, logits, tokenizer = [], [], None
    for d, m in zip(member_dirs, metas):
        model, tokenizer, _ = load_model(d, codebook)
        logits.append(batch_logits(model, tokenizer, [e.text for e in dev_ex], placement, 64, m.get("max_length", 128),
                                   m.get("input_prefix", "query: "), positions=[e.position for e in dev_ex]))
        models.append(model)
        log.info("member %s: dev logits for %d segments", m["model_id"], len(dev_ex))
    temperature, thresholds, dev_pred, review = calibrate_on_dev(np.mean(logits, axis=0), dev_ex, y_dev)
    deltas = [delta_names(d) for d in member_dirs]
    ensemble = Ensemble(models, shared_layers_of(deltas))
    ensemble.temperature.fill_(temperature)
    labels = codebook.code_ids
    first = metas[0]
    per_run = (*HELD_OUT_FIGURES, "weights_sha256", "model_id", "encoder", "history", "thresholds", "temperature",
               "dev_metrics", "review_model", "trained_at", "device", "train_seconds", "name", "train_data",
               "joined_from", "seed")
    meta = {k: v for k, v in first.items() if k not in per_run} | {
        "name": name or first["name"], "lccode_version": __version__, "trained_at": utc_now(),
        "device": " + ".join(m.get("device", "?") for m in metas),
        "train_seconds": round(sum(float(m.get("train_seconds", 0)) for m in metas), 1),
        "config": dict(first.get("config") or {}, members=len(metas)),
        "thresholds": {c: round(float(t), 4) for c, t in zip(labels, thresholds)}, "temperature": round(temperature, 4),
        "dev_metrics": dev_metrics(dev_ex, y_dev, dev_pred, labels),
        "review_model": review.to_dict() if review else None,
        "joined_from": [m["model_id"] for m in metas]}
    if len({m.get("train_data_hash") for m in metas}) > 1:
        meta["train_data"] = [{k: m.get(k) for k in _DATA[:3]} for m in metas]
        meta["train_examples"] = max(int(m.get("train_examples") or 0) for m in metas)
        meta["train_data_hash"] = joint_digest([str(m.get("train_data_hash")) for m in metas])
    # A member of a saved ensemble records its seed at the top ("seed"); a plain run only in its config.
    seeds = [m.get("seed", (m.get("config") or {}).get("seed")) for m in metas]
    meta["config"]["seed"] = seeds[0]
    own = [{k: m[k] for k in ("temperature", "thresholds", "dev_metrics", "history", "trained_at", "device", "train_seconds",
                              *_DATA) if k in m}
           | {"seed": seed, "config": dict(m.get("config") or {}, seed=seed), "joined_from": m["model_id"]}
           for m, seed in zip(metas, seeds)]
    return save_ensemble(ensemble, tokenizer, Path(output), meta, deltas, default_base_dir() if any(deltas) else None,
                         member_metas=own)

"""Saving a quick retrain: the retrained heads with the parent's encoder as stored, in the usual model folder
format, with the quick retrain's provenance (lccode.model.quick trains them)."""

from __future__ import annotations

from pathlib import Path

from lccode.model.quick import Retrained, delta_names


def save_quick(coder, parent_dir: Path, output: Path, labels: list[str], result: Retrained, provenance: dict) -> dict:
    """Save the retrained heads with the parent's encoder (same folder format; see storage.save_model)."""
    from lccode import __version__
    from lccode.clock import utc_now
    from lccode.model.pooled import encoder_key
    from lccode.model.provision import default_base_dir
    from lccode.model.storage import HELD_OUT_FIGURES, save_model

    parent = coder.meta
    keep = {k: v for k, v in parent.items() if k not in (*HELD_OUT_FIGURES, "weights_sha256", "model_id", "encoder", "history")}
    meta = keep | {
        "name": provenance.pop("name", None) or f"{parent['name'].split('+')[0]}+quick",
        "lccode_version": __version__, "trained_at": utc_now(),
        "device": coder.placement.describe(),
        "thresholds": {c: round(float(t), 4) for c, t in zip(labels, result.thresholds)},
        "temperature": round(float(result.temperature), 4), "dev_metrics": result.dev_metrics,
        "review_model": result.review_model,
        "parent_model": parent["model_id"], "encoder_key": encoder_key(parent_dir, parent), "quick": provenance,
        "decisions_used": provenance.get("decisions_used", 0), "train_seconds": provenance.get("seconds", 0.0)}
    for k in ("decision_ids_sha256", "workspace"):
        if k in provenance:
            meta[k] = provenance[k]
    if parent.get("ensemble"):
        from lccode.model.ensemble import member_deltas

        delta = member_deltas(parent_dir, parent)
        base = default_base_dir() if any(delta) else None
    else:
        delta = delta_names(parent_dir)
        base = default_base_dir() if delta else None
    return save_model(_with_stored_encoder(coder.model, parent_dir), coder.tokenizer, output, meta, delta=delta, base=base)


def _with_stored_encoder(model, parent_dir: Path):
    """The parent model as stored, with `model`'s retrained heads: coding may have cast the encoder in memory to
    the autocast dtype (fastload.cast_linear), and a quick model must keep the parent's encoder bit for bit (its
    pooled-output cache is the parent's)."""
    from lccode.model.storage import load_model

    fresh = load_model(parent_dir)[0]
    heads = {id(p) for p in model.head_parameters()}
    fresh.load_state_dict({n: p.detach().cpu() for n, p in model.named_parameters() if id(p) in heads}, strict=False)
    fresh.temperature.copy_(model.temperature.cpu())
    return fresh

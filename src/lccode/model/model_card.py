"""A README.md model card written next to every trained model."""

from __future__ import annotations

from pathlib import Path


def _fig(m: dict | None, key: str) -> str:
    v = (m or {}).get(key)
    return f"{v:.3f}" if isinstance(v, float) else "–"


def _row(label: str, m: dict | None) -> str:
    return (f"| {label} | {(m or {}).get('n', '–')} | {_fig(m, 'micro_f1')} | {_fig(m, 'macro_f1')} | "
            f"{_fig(m, 'mean_kappa')} | {_fig(m, 'micro_precision')} | {_fig(m, 'micro_recall')} |")


STORED = {"delta": "fine-tuned top layers (fp16) over the checksum-verified base", "full": "a full Hugging Face encoder folder",
          "ensemble": "an ensemble: one model folder per member (`member-N/`), their logits averaged"}


def _members(meta: dict) -> list[str]:
    ens = meta.get("ensemble")
    if not ens:
        return []
    seeds = ", ".join(str(e.get("seed")) for e in ens["members"])
    shared = (f"; the lower {ens['shared_layers']} encoder layers are shared and run once per batch"
              if ens.get("shared_layers") else "")
    joined = (f" Joined from saved runs: {', '.join(f'`{m}`' for m in meta['joined_from'])}."
              if meta.get("joined_from") else "")
    return [f"An ensemble of {len(ens['members'])} runs of this recipe with seeds {seeds}: the members' logits are "
            f"averaged, and temperature, thresholds and the review order are fitted to the average{shared}.{joined}", ""]


def _data_row(meta: dict) -> str:
    """One line of training data, or one per member of an ensemble whose members were trained on different data."""
    runs = meta.get("train_data") or [meta]
    said = [f"{r.get('train_examples')} segments ({r.get('train_transcripts') or 0} whole transcripts), sha256 "
            f"`{str(r.get('train_data_hash') or '')[:16]}`" for r in runs]
    if len(runs) == 1:
        return f"| training data | {said[0]} |"
    return "| training data | members trained on different data: " + "; ".join(
        f"member {i}: {s}" for i, s in enumerate(said, 1)) + " |"


def write_card(folder: Path, meta: dict) -> None:
    dev = meta.get("dev_metrics") or {}
    test = meta.get("test_metrics") or {}
    cfg = meta.get("config") or {}
    enc = meta.get("encoder") or {}
    members = f" --members {cfg['members']}" if cfg.get("members", 1) > 1 else ""
    how = (f"Each member was trained as `lccode train --seed N` (N its seed, below): {cfg.get('epochs')} epochs (best "
           "dev epoch kept), top " if meta.get("joined_from") else
           f"`lccode train{members}` with seed {cfg.get('seed')}: {cfg.get('epochs')} epochs (best dev epoch kept), top ")
    lines = [
        f"# {meta['name']}", "",
        "Multi-label classifier of interview/meeting segments against a qualitative codebook, trained with lccode.", "",
        "| field | value |", "|---|---|",
        f"| model id | `{meta.get('model_id', '')}` |",
        f"| base model | {meta.get('base_model')} |",
        f"| stored as | {STORED.get(enc.get('format'), STORED['full'])} |",
        f"| codebook | `{meta.get('codebook_ref')}` |",
        _data_row(meta),
        f"| review decisions used | {meta.get('decisions_used', 0)} |",
        f"| lccode version | {meta.get('lccode_version')} |",
        f"| trained | {meta.get('trained_at')} on {meta.get('device')} in {meta.get('train_seconds', 0):.0f} s |", "",
        "## How it was trained", "",
        how
        + f"{cfg.get('trainable_layers') or (4 if str(meta.get('device', '')).startswith('cpu') else 'all')} encoder layers "
        "fine-tuned, context head "
        f"{'on' if meta.get('context') else 'off'} (each segment read with its neighbours in the turn, the previous "
        "turn and the speaker's role)"
        + (f", a turn-level loss (weight {cfg['turn_loss']}) on each turn's highest segment score per code"
           if cfg.get("turn_loss") else "")
        + (f", an excerpt loss weight of {cfg['excerpt_weight']}" if cfg.get("excerpt_weight", 1.0) != 1.0 else "")
        + ", temperature calibration and per-code thresholds on the dev split"
        + (f"; the review order's error model on {meta['review_model']['segments']} dev transcript segments"
           if meta.get("review_model") else "") + ".", "",
        *_members(meta),
        *([f"Then quick-retrained (heads only, encoder unchanged) from `{meta.get('parent_model')}` on "
           f"{meta['quick'].get('segments_decided', 0)} reviewed segments plus a replay sample of "
           f"{meta['quick'].get('replay_rows', 0)} training rows; see `quick` in `lccode.json`.", ""]
          if meta.get("quick") else []),
        "## Figures", "",
        "Dev figures are optimistic (thresholds were tuned on the dev split); the test split and the check set were "
        "never used in training or tuning. A turn carries the codes of its segments.", "",
        "| set | n | micro-F1 | macro-F1 | mean kappa | precision | recall |", "|---|---|---|---|---|---|---|",
        _row("dev, all segments", dev),
        _row("dev, excerpts", dev.get("excerpts")),
        _row("dev, transcript turns", dev.get("transcript_turns")),
    ]
    if test:
        lines += [_row("test, transcript segments", test.get("segments")), _row("test, transcript turns", test.get("turns"))]
        for lang, m in sorted((test.get("turns") or {}).get("per_language", {}).items()):
            lines.append(_row(f"test, transcript turns ({lang})", m))
    check = (meta.get("check_metrics") or {}).get("excerpts")
    if check:  # excerpts by writers who never saw the training data (training_data/README.md)
        lines.append(_row("check, excerpts by new writers", check))
        for lang, m in sorted(check.get("per_language", {}).items()):
            lines.append(_row(f"check, excerpts by new writers ({lang})", m))
    unreliable = test.get("unreliable", dev.get("unreliable"))
    if unreliable:
        lines += ["", f"**Not yet reliable** (kappa < 0.6 on {'test' if test else 'dev'} transcript turns): "
                  + ", ".join(f"`{c}`" for c in unreliable) + ". Review these codes before reporting their counts."]
    lines += [
        "", "## Intended use and limits", "",
        "Proposes codes for researchers to review; it is not a substitute for human coding. Trained on invented,",
        "hand-written Dutch and English segments and transcripts about Learning Communities; expect lower accuracy",
        "on other domains. Per-code thresholds and a temperature for calibration are in `lccode.json`.",
    ]
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

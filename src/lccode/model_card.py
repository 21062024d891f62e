"""A README.md model card written next to every trained model."""

from __future__ import annotations

from pathlib import Path


def write_card(folder: Path, meta: dict) -> None:
    dev = meta.get("dev_metrics") or {}
    lines = [
        f"# {meta['name']}", "",
        "Multi-label classifier of interview/meeting segments against a qualitative codebook, trained with lccode.", "",
        "| field | value |", "|---|---|",
        f"| model id | `{meta.get('model_id', '')}` |",
        f"| base model | {meta.get('base_model')} |",
        f"| codebook | `{meta.get('codebook_ref')}` |",
        f"| training data | {meta.get('train_examples')} examples, sha256 `{str(meta.get('train_data_hash', ''))[:16]}` |",
        f"| review decisions used | {meta.get('decisions_used', 0)} |",
        f"| lccode version | {meta.get('lccode_version')} |",
        f"| trained | {meta.get('trained_at')} on {meta.get('device')} in {meta.get('train_seconds', 0):.0f} s |", "",
        "## Dev-set metrics", "",
        f"micro-F1 {dev.get('micro_f1', float('nan')):.3f}, macro-F1 {dev.get('macro_f1', float('nan')):.3f}, "
        f"mean Cohen's kappa {dev.get('mean_kappa', float('nan')):.3f} on {dev.get('n', 0)} held-back segments "
        "(thresholds were tuned on the same dev split, so these figures are optimistic).", "",
        "## Intended use and limits", "",
        "Proposes codes for researchers to review; it is not a substitute for human coding. Trained on invented,",
        "hand-written Dutch and English segments about Learning Communities; expect lower accuracy on other domains.",
        "Per-code thresholds and a temperature for calibration are in `lccode.json`.",
    ]
    (folder / "README.md").write_text("\n".join(lines) + "\n", encoding="utf-8")

"""Fit the review order's error model (lccode.model.error_model) for a model trained before the error model
existed, from the model's own dev transcripts, and store it in the model's lccode.json, as `lccode train` now
does when it calibrates. The weights, thresholds and model id do not change.

    .venv/bin/python scripts/fit_review_model.py [--model models/lc-default]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=None)
    args = ap.parse_args()

    from lccode.atomic import write_text_atomic
    from lccode.data import label_matrix
    from lccode.gold import load_examples
    from lccode.model.error_model import fit_on_dev
    from lccode.model.predict import Coder
    from lccode.model.storage import META_FILE, read_meta
    from lccode.model.training_run import default_model_dir

    model_dir = Path(args.model) if args.model else default_model_dir()
    coder = Coder.load(model_dir, None, "cpu")
    files = [REPO / f for f in coder.meta.get("dev_files", []) if (REPO / f).is_dir()]  # the dev transcripts
    if not files:
        sys.exit(f"{model_dir}: its lccode.json names no dev transcript folder that exists under {REPO}")
    examples = [e for f in files for e in load_examples(f, coder.labels)]
    positions = [e.position for e in examples]
    probs = coder.probabilities([e.text for e in examples], 64, None, positions)
    fitted = fit_on_dev(positions, probs, coder.thresholds, label_matrix(examples, coder.labels))
    if fitted is None:
        sys.exit("too few dev transcript segments or errors to fit an error model")
    meta = read_meta(model_dir)
    meta["review_model"] = fitted.to_dict()
    write_text_atomic(model_dir / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False))
    print(f"{meta['model_id']}: error model fitted on {fitted.segments} dev transcript segments "
          f"({fitted.errors} with an error), stored in {model_dir / META_FILE}")


if __name__ == "__main__":
    main()

"""Assemble training data from files and workspaces, train with a progress bar, and save (used by `lccode train`)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from lccode.data import DEFAULT_DATA_DIR, workspace_examples
from lccode.errors import InputError
from lccode.paths import default_model_dir

log = logging.getLogger(__name__)


def run_training(cfg, data: list[Path] | None = None, dev: Path | None = None, workspace: Path | None = None,
                 output: Path | None = None, codebook_path: Path | None = None, progress=None) -> dict:
    """`progress(kind, **info)` receives the trainer's "start" (steps), "step" and "epoch" events."""
    from lccode.atomic import check_folder_target
    from lccode.codebook import load_codebook
    from lccode.gold import check_source, load_examples

    # Every path is checked before anything is read: a wrong one should not cost a training run.
    output = check_folder_target(Path(output) if output else default_model_dir())
    dev = [dev] if isinstance(dev, (str, Path)) else dev
    for path in [*(data or []), *(dev or [])]:
        check_source(path)
    ws = None
    if workspace:
        from lccode.workspace import Workspace

        ws = Workspace.open(workspace)
    cb = load_codebook(codebook_path) if codebook_path else (ws.codebook() if ws else load_codebook())

    bundled = not data
    if not data:
        data, default_dev = default_training_files()
        if not data:
            raise InputError("no training data given", expected="--data FILE.jsonl with labelled segments",
                             fix="pass --data (and --dev), or run from an lccode checkout that has training_data/")
        dev = dev if dev is not None else default_dev
    examples = [ex for path in data for ex in load_examples(path, cb.code_ids)]
    dev_examples = [ex for path in dev for ex in load_examples(path, cb.code_ids)] if dev else None
    extra = {"train_files": [_shown(p) for p in data], "dev_files": [_shown(p) for p in dev or []]}
    if ws is not None:
        reviewed, ids = workspace_examples(ws)
        dev_texts = {e.text for e in dev_examples or []}
        reviewed = [e for e in reviewed if e.text not in dev_texts]  # never train on the dev split
        examples = _override(examples, reviewed)
        extra |= {"decisions_used": len(ids), "decision_ids_sha256": hashlib.sha256(
            ",".join(map(str, sorted(ids))).encode()).hexdigest(), "workspace": str(workspace)}
        log.info("Added %d reviewed segments (%d decisions) from %s", len(reviewed), len(ids), workspace)
    from lccode.model.trainer import train

    meta = train(cfg, cb, examples, output, dev_examples=dev_examples, extra_meta=extra, progress=progress)
    test, check = DEFAULT_DATA_DIR / "transcripts" / "test", DEFAULT_DATA_DIR / "check.jsonl"
    if bundled and test.is_dir():
        meta = record_test(output, test, check if check.is_file() else None)
    if bundled:  # the first quick retrain (lccode review retrain) then needs no encoder pass over the bundled data
        from lccode.model.quick import warm_cache

        log.info("Cached encoder outputs of %d bundled segments for quick retraining", warm_cache(output))
    return meta | {"path": str(output)}


def record_test(model_dir: Path, gold: Path, check: Path | None = None) -> dict:
    """Score the model on the held-out transcript split (and on the new-writer check set of excerpts, `check`) and
    keep the figures in its lccode.json and card."""
    import json

    from lccode.atomic import write_text_atomic
    from lccode.model.evaluate import evaluate
    from lccode.model.model_card import write_card
    from lccode.model.storage import META_FILE, read_meta

    rep = evaluate(gold, model_dir)
    keys = ("n", "micro_precision", "micro_recall", "micro_f1", "macro_f1", "mean_kappa")
    pick = lambda m: {k: m[k] for k in keys}  # noqa: E731
    meta = read_meta(model_dir)
    meta["test_metrics"] = {
        "gold": _shown(gold), "gold_hash": rep["provenance"]["gold_hash"], "transcripts": rep.get("transcripts"),
        "segments": pick(rep), "turns": pick(rep["turns"]) | {
            "per_language": {lang: pick(m) for lang, m in rep["turns"]["per_language"].items()},
            "per_code": {c: {k: m[k] for k in ("precision", "recall", "f1", "kappa", "support")}
                         for c, m in rep["turns"]["per_code"].items()}},
        "unreliable": rep["unreliable"]}
    if check is not None:
        chk = evaluate(check, model_dir)
        meta["check_metrics"] = {"gold": _shown(check), "gold_hash": chk["provenance"]["gold_hash"],
                                 "excerpts": pick(chk) | {"per_language": {lang: pick(m) for lang, m in
                                                                            chk["per_language"].items()}}}
        log.info("New-writer check set: micro-F1 %.3f, macro-F1 %.3f", chk["micro_f1"], chk["macro_f1"])
    write_text_atomic(Path(model_dir) / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False))
    write_card(Path(model_dir), meta)
    log.info("Held-out transcripts: turn micro-F1 %.3f, macro-F1 %.3f", rep["turns"]["micro_f1"], rep["turns"]["macro_f1"])
    return meta


def _shown(path: Path) -> str:
    """A data path as recorded in a model: relative to the checkout when inside it (a shipped model names no
    machine's folders)."""
    from lccode.paths import checkout

    repo, path = checkout(), Path(path).resolve()
    return str(path.relative_to(repo)) if repo and path.is_relative_to(repo) else str(path)


def default_training_files() -> tuple[list[Path], list[Path]]:
    """The bundled data: excerpts (train/dev.jsonl) and whole coded transcripts (transcripts/train, /dev).
    transcripts/test is never read by training: it is the held-out split for `lccode evaluate`."""
    root = DEFAULT_DATA_DIR
    train = [p for p in (root / "train.jsonl", root / "transcripts" / "train") if p.exists()]
    dev = [p for p in (root / "dev.jsonl", root / "transcripts" / "dev") if p.exists()]
    return train, dev


def _override(examples, reviewed):
    """Reviewed segments replace gold examples with the same text (a person's latest decision wins)."""
    texts = {e.text for e in reviewed}
    return [e for e in examples if e.text not in texts] + list(reviewed)

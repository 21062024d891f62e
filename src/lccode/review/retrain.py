"""Quick retraining from a workspace's decisions: new heads in seconds, the workspace coded again, a new queue.

The parent is the model behind the latest coding run (the one the analysts' queue came from). Its heads are
trained on every final human decision in the workspace (lccode.model.quick), the model is saved as a new folder under
the workspace (`models/`), and the workspace is coded with it from cached encoder outputs. A new coding run
means a new queue; human decisions stay final whatever the new model proposes.

Progress goes to a callback `progress(stage, done, total)`; stages: loading, encoding, training, calibrating,
saving, coding.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from lccode.clock import utc_stamp
from lccode.errors import InputError
from lccode.model.quick import QuickConfig


def parent_model_dir(ws) -> Path:
    from lccode.review.queue import latest_code_run

    run = latest_code_run(ws)  # says how to fix it when nothing was coded yet
    folder = Path(run.model_dir or "")
    if not run.model_dir or not folder.is_dir():
        raise InputError(f"the model of the latest coding run is not on this computer ({folder})", file=ws.root,
                         expected="the model folder that coded the workspace",
                         fix=f"code the workspace again with a model you have: lccode code -w {ws.root} --model DIR")
    return folder


def decided_rows(ws, segments: list, decisions: list, labels: list[str], weight: float):
    """Labels and loss weights over the given segments (whole transcripts), plus the decided segments that are
    no longer in them (their transcript was re-added): those are read as stand-alone excerpts."""
    index = {c: j for j, c in enumerate(labels)}
    by_key = {d.segment_key: d for d in decisions}
    y = np.zeros((len(segments), len(labels)), dtype=np.float32)
    w = np.zeros(len(segments), dtype=np.float32)
    for i, s in enumerate(segments):
        d = by_key.get(s.key)
        if d is not None:
            w[i] = weight
            for c in d.codes:
                y[i, index[c]] = 1.0
    present = {s.key for s in segments}
    return y, w, [d for d in decisions if d.segment_key not in present]


def retrain_workspace(workspace: str | Path, cfg: QuickConfig | None = None, output: str | Path | None = None,
                      progress=None, device: str = "cpu", train_files: list[Path] | None = None,
                      dev_files: list[Path] | None = None) -> dict:
    """Quick-retrain from the workspace's decisions, save the model, code the workspace with it; returns a summary.
    Replay and dev data: the files the parent was trained with (or these), the bundled data by default."""
    from lccode.data import label_matrix
    from lccode.model.coding import code_workspace, positions_of
    from lccode.model.pooled import PooledCache, encoder_key, workspace_cache_dir
    from lccode.model.predict import Coder
    from lccode.model.provision import models_dir
    from lccode.model.quick import blocks, load_bundle, retrain, windows
    from lccode.model.quick_save import save_quick
    from lccode.records import Position
    from lccode.workspace import Workspace
    from lccode.workspace.decisions import final_decisions

    cfg = cfg or QuickConfig()
    t0 = time.perf_counter()
    tick = progress or (lambda *a: None)
    ws = Workspace.open(workspace)
    try:
        parent_dir = parent_model_dir(ws)
        decisions = [d for d in final_decisions(ws) if d.status == "coded"]
        if not decisions:
            raise InputError("no coded decisions in this workspace yet, so there is nothing to learn from",
                             file=ws.root, fix="review some segments first (lccode review serve)")
        tick("loading", 0, 1)
        cb = ws.codebook()
        coder = Coder.load(parent_dir, cb, device).with_cache(workspace_cache_dir(ws), parent_dir)
        labels = coder.labels
        docs = sorted({d.transcript_id for d in decisions})
        segs = ws.segments(transcripts=docs)
        kinds = {t.id: t.kind for t in ws.transcripts()}
        y, w, loose = decided_rows(ws, segs, decisions, labels, cfg.decision_weight)
        texts = [s.text for s in segs] + [d.text for d in loose]
        positions = positions_of(segs, kinds) + [Position(None, None, d.role, None) for d in loose]
        from lccode.data import Example

        y = np.vstack([y, label_matrix([Example(d.text, d.codes) for d in loose], labels)]) if loose else y
        w = np.concatenate([w, np.full(len(loose), cfg.decision_weight, dtype=np.float32)])
        pooled = coder.pooled(texts)
        decided = blocks(pooled, positions, y, windows(positions, w))
        bundled_cache = PooledCache.open(models_dir() / "cache", encoder_key(parent_dir, coder.meta),
                                         coder.meta.get("input_prefix", "query: "), coder.meta.get("max_length", 128))
        bundle = load_bundle(coder, bundled_cache, cfg, frozenset(d.text for d in decisions), tick, train_files, dev_files)
        result = retrain(coder, decided, bundle, cfg, tick)
        tick("saving", 0, 1)
        ids = sorted(i for d in decisions for i in d.decision_ids)
        stamp = utc_stamp()
        out = Path(output) if output else Path(ws.root) / "models" / f"quick-{stamp}"
        parent_f1 = (coder.meta.get("dev_metrics") or {}).get("micro_f1")
        provenance = {"parent_model": coder.meta["model_id"], "parent_dir": str(parent_dir.resolve()),
                      "decisions_used": len(ids), "segments_decided": len(decisions),
                      "decision_ids_sha256": hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest(),
                      "workspace": str(Path(workspace).resolve()), "replay_rows": int(sum((b.weights > 0).sum() for b in bundle.replay)),
                      "train_files": bundle.files["train"], "dev_files": bundle.files["dev"], "config": asdict(cfg),
                      "losses": result.losses, "seconds": round(time.perf_counter() - t0, 1),
                      "parent_dev_micro_f1": parent_f1}
        meta = save_quick(coder, parent_dir, out, labels, result, provenance)
        tick("coding", 0, 1)
        n = ws.count_segments()
        new = Coder(coder.model, coder.tokenizer, meta, coder.placement, coder.cache)
        coded = [0]

        def coding(k: int):
            coded[0] += k
            tick("coding", coded[0], n)

        stats = code_workspace(ws, out, device, progress=coding, coder=new)
        seconds = time.perf_counter() - t0
        return {"model_id": meta["model_id"], "path": str(out), "parent_model": coder.meta["model_id"],
                "decisions_used": len(ids), "segments_decided": len(decisions), "seconds": round(seconds, 1),
                "train_seconds": round(result.seconds, 1), "coded": stats["segments"],
                "dev_micro_f1": result.dev_metrics["micro_f1"], "dev_macro_f1": result.dev_metrics["macro_f1"],
                "parent_dev_micro_f1": parent_f1}
    finally:
        ws.close()

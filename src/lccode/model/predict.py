"""Coding with a trained model: length-sorted batches under inference_mode, probabilities per code."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)


def plan_batches(sorted_lengths: np.ndarray, batch_size: int) -> list[tuple[int, int]]:
    """Cut token counts sorted ascending into [start, end) batches of at most `batch_size` texts and
    `batch_size * 32` tokens, padding included (the last, longest text sets a batch's width)."""
    budget = batch_size * 32
    n = len(sorted_lengths)
    out = []
    start = 0
    while start < n:
        end = start + 1
        while end < n and end - start < batch_size and (end + 1 - start) * sorted_lengths[end] <= budget:
            end += 1
        out.append((start, end))
        start = end
    return out


def batch_pooled(model, tokenizer, texts: list[str], placement, batch_size: int = 64, max_length: int = 128,
                 prefix: str = "query: ", progress=None, stats: dict | None = None):
    """Pooled encoder output per text (a tensor on the model's device), in input order.

    All texts are tokenised first and sorted by token count, then cut into batches of at most `batch_size`
    texts and `batch_size * 32` tokens (padding included), so each batch pads little. `stats` receives the
    real and padded token counts (padding waste = 1 - real / padded).

    Batches are assembled with array operations from one flat token array (no per-text Python work), copied
    to a GPU from pinned memory without waiting, and scattered back to input order once: nothing here waits for
    the device, so the caller's one transfer of the results is the only synchronisation."""
    import itertools

    import torch

    from lccode.model.device import autocast

    n = len(texts)
    dev = placement.device
    if not n:
        return torch.zeros((0, model.head.in_features), device=dev)
    ids = tokenizer([prefix + t for t in texts], truncation=True, max_length=max_length)["input_ids"]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=n)
    flat = np.fromiter(itertools.chain.from_iterable(ids), dtype=np.int64, count=int(lengths.sum()))
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    order = np.argsort(lengths, kind="stable")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    cuda = dev.type == "cuda"
    real = padded = 0
    pieces = []
    model.eval()
    with torch.inference_mode(), autocast(placement):
        for start, end in plan_batches(lengths[order], batch_size):
            idx = order[start:end]
            lens = lengths[idx]
            width = int(lens[-1])
            cols = np.arange(width)
            valid = cols[None, :] < lens[:, None]
            # Positions past a text's end read its last token and are then replaced by padding.
            input_ids = np.where(valid, flat[starts[idx][:, None] + np.minimum(cols[None, :], lens[:, None] - 1)], pad_id)
            x, m = torch.from_numpy(input_ids), torch.from_numpy(valid.astype(np.int64))
            if cuda:
                x, m = x.pin_memory().to(dev, non_blocking=True), m.pin_memory().to(dev, non_blocking=True)
            pieces.append(model.pooled(x, m).float())
            real += int(lens.sum())
            padded += len(idx) * width
            if progress:
                progress(len(idx))
        out = torch.empty((n, pieces[0].shape[1]), device=dev)
        out[torch.from_numpy(order).to(dev)] = torch.cat(pieces)
    if stats is not None:
        stats["tokens"] = stats.get("tokens", 0) + real
        stats["padded_tokens"] = stats.get("padded_tokens", 0) + padded
    return out


def batch_logits(model, tokenizer, texts: list[str], placement, batch_size: int = 64, max_length: int = 128,
                 prefix: str = "query: ", progress=None, positions=None, stats: dict | None = None) -> np.ndarray:
    """Raw logits for texts. With positions (lccode.model.context), a context model reads each text with its neighbours;
    without, each text is a stand-alone excerpt."""
    import torch

    from lccode.model.context import layout

    pooled = batch_pooled(model, tokenizer, texts, placement, batch_size, max_length, prefix, progress, stats)
    lay = layout(positions) if positions is not None and getattr(model, "context", None) is not None else None
    with torch.inference_mode():
        return model.logits(pooled, lay).float().cpu().numpy()


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class Coder:
    """A loaded model ready to code texts: probabilities are calibrated, decisions use per-code thresholds."""

    model: object
    tokenizer: object
    meta: dict
    placement: object
    cache: object | None = None  # a lccode.model.pooled.PooledCache for this model's encoder, or None

    def with_cache(self, folder: str | Path | None, model_dir: str | Path) -> "Coder":
        """The same coder, reading and adding pooled embeddings in `folder` (see lccode.model.pooled)."""
        from lccode.model.pooled import PooledCache, encoder_key

        self.cache = PooledCache.open(folder, encoder_key(model_dir, self.meta), self.meta.get("input_prefix", "query: "),
                                      self.meta.get("max_length", 128))
        return self

    @classmethod
    def load(cls, folder: str | Path, codebook=None, device: str = "auto", precision: str = "auto",
             light: bool = True) -> "Coder":
        from lccode.model.device import resolve_device, set_threads
        from lccode.model.modeling import load_model

        set_threads()
        placement = resolve_device(device, precision)
        model, tokenizer, meta = load_model(folder, codebook, light)
        model.to(placement.device)
        if placement.autocast is not None and hasattr(model.encoder, "cast_linear"):
            model.encoder.cast_linear(placement.autocast)
        return cls(model, tokenizer, meta, placement)

    @property
    def labels(self) -> list[str]:
        return self.meta["labels"]

    @property
    def thresholds(self) -> np.ndarray:
        return np.array([self.meta["thresholds"][c] for c in self.labels], dtype=np.float32)

    def probabilities(self, texts: list[str], batch_size: int = 64, progress=None, positions=None,
                      stats: dict | None = None) -> np.ndarray:
        """Calibrated probabilities; `positions` (one lccode.model.context.Position per text, whole transcripts in order)
        lets a context model read each segment with its neighbours."""
        if self.cache is not None:
            return self.from_pooled(self.pooled(texts, batch_size, progress, stats), positions)
        logits = batch_logits(self.model, self.tokenizer, texts, self.placement, batch_size,
                              self.meta.get("max_length", 128), self.meta.get("input_prefix", "query: "), progress,
                              positions, stats)
        return sigmoid(logits / float(self.meta.get("temperature", 1.0)))

    def pooled(self, texts: list[str], batch_size: int = 64, progress=None, stats: dict | None = None,
               cache=None) -> np.ndarray:
        """Pooled encoder output per text (float32 numpy), from the cache (this coder's, or the one given, which
        must belong to the same encoder) where it has them."""

        def compute(missing: list[str]) -> np.ndarray:
            return batch_pooled(self.model, self.tokenizer, missing, self.placement, batch_size,
                                self.meta.get("max_length", 128), self.meta.get("input_prefix", "query: "), progress,
                                stats).cpu().numpy()

        cache = cache if cache is not None else self.cache
        if cache is None:
            return compute(texts)
        out = cache.get(texts, compute)
        return out if len(texts) else np.zeros((0, self.model.head.in_features), dtype=np.float32)

    def from_pooled(self, pooled: np.ndarray, positions=None, head_model=None) -> np.ndarray:
        """Calibrated probabilities from pooled embeddings (the heads only: milliseconds)."""
        import torch

        from lccode.model.context import layout

        model = head_model or self.model
        x = torch.as_tensor(np.asarray(pooled, dtype=np.float32), device=self.placement.device)
        lay = layout(positions) if positions is not None and model.context is not None else None
        model.eval()
        with torch.inference_mode():
            logits = model.logits(x, lay).float().cpu().numpy()
        return sigmoid(logits / float(self.meta.get("temperature", 1.0)))

    def decide(self, probs: np.ndarray) -> np.ndarray:
        return (probs >= self.thresholds).astype(np.float32)


def _slim(metrics: dict | None) -> dict:
    """Figures a run records about its model: summaries and the unreliable codes, no per-code tables."""
    def strip(d):
        return {k: strip(v) if isinstance(v, dict) else v for k, v in d.items() if k != "per_code"}

    return strip(metrics or {})


def positions_of(segments, kinds: dict[str, str]) -> list:
    from lccode.records import Position

    return [Position(s.transcript_id, s.turn_index, s.role, kinds.get(s.transcript_id)) for s in segments]


def _transcript_chunks(ws, segs, chunk: int = 512):
    """Pending segments grouped by whole transcripts (about `chunk` at a time, stored per chunk so an
    interruption keeps what was coded), each with all segments of those transcripts as context."""
    by_doc: dict[str, list] = {}
    for s in segs:
        by_doc.setdefault(s.transcript_id, []).append(s)
    group: list[str] = []
    size = 0
    docs = list(by_doc)
    for i, doc in enumerate(docs):
        group.append(doc)
        size += len(by_doc[doc])
        if size >= chunk or i == len(docs) - 1:
            context = ws.segments(transcripts=group)
            yield [s for d in group for s in by_doc[d]], context
            group, size = [], 0


def pending_count(ws, model_dir: str | Path, redo: bool = False) -> int:
    """How many segments `code_workspace` would code (for progress bars), without loading the model."""
    from lccode.model.modeling import read_meta

    if redo:
        return ws.count_segments()
    return ws.count_pending(read_meta(model_dir)["model_id"])


# Per device: segments per batch (the token budget is 32 tokens a segment) and segments per stored chunk. A GPU
# needs large batches to be busy; a chunk is sorted by token count as a whole, and stored as one transaction.
# On the sample workspace, sorting 2,048 segments at a time instead of 512 cuts padding from 12% to 4% of tokens.
SIZES = {"cpu": (64, 2048), "cuda": (512, 8192)}


class _Storage:
    """Stores coded chunks on a thread with its own connection to the workspace, so that JSON encoding and writes
    (~50 µs a segment) overlap with the model's next chunk instead of following it. At most two chunks wait;
    an error in storing surfaces in the coding loop, and `close` waits until every coded chunk is stored."""

    def __init__(self, ws, labels: list[str], model_id: str, run: int):
        from concurrent.futures import ThreadPoolExecutor

        self.labels, self.model_id, self.run = labels, model_id, run
        self.ws = ws.reopen()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lccode-store")
        self.waiting: list = []

    def put(self, keys: list[str], probs: np.ndarray, decisions: np.ndarray) -> None:
        while len(self.waiting) >= 2:
            self.waiting.pop(0).result()
        self.waiting.append(self.pool.submit(self._store, keys, probs, decisions))

    def _store(self, keys, probs, decisions) -> None:
        from lccode.workspace import Prediction, now

        stamp = now()
        labels = self.labels
        self.ws.store_predictions([
            Prediction(k, self.model_id, self.run, {c: round(float(p), 5) for c, p in zip(labels, pr)},
                       tuple(c for c, d in zip(labels, dec) if d), stamp)
            for k, pr, dec in zip(keys, probs.tolist(), decisions.tolist())])

    def close(self) -> None:
        try:
            for f in self.waiting:
                f.result()
        finally:
            self.pool.shutdown(wait=True)
            self.ws.close()


class _Share:
    """Progress per batch in pending segments: a chunk also codes its transcripts' already-coded segments (as
    context), so each batch counts for its share of the chunk's pending ones; `finish` makes the chunk add up."""

    def __init__(self, progress, pending: int, rows: int):
        self.progress, self.pending, self.rows, self.rows_done, self.shown = progress, pending, rows, 0, 0

    def __call__(self, n: int) -> None:
        self.rows_done += n
        target = self.pending * self.rows_done // max(self.rows, 1)
        if target > self.shown and self.progress:
            self.progress(target - self.shown)
            self.shown = target

    def finish(self) -> None:
        if self.pending > self.shown and self.progress:
            self.progress(self.pending - self.shown)
        self.shown = self.pending


def code_workspace(ws, model_dir: str | Path, device: str = "auto", batch_size: int | None = None, redo: bool = False,
                   progress=None, chunk: int | None = None, coder: Coder | None = None) -> dict:
    """Code every segment this model has not coded yet; store probabilities and decisions, one run record.

    `batch_size` and `chunk` default by device (SIZES). Pooled embeddings are kept in the workspace's cache
    folder, so a model with the same encoder (a quick retrain) codes the workspace again without running the
    encoder."""
    from lccode.model.pooled import workspace_cache_dir

    cb = ws.codebook()
    coder = coder or Coder.load(model_dir, cb, device)
    if coder.cache is None:
        coder.with_cache(workspace_cache_dir(ws), model_dir)
    model_id = coder.meta["model_id"]
    default_batch, default_chunk = SIZES.get(coder.placement.device.type, SIZES["cpu"])
    batch_size, chunk = batch_size or default_batch, chunk or default_chunk
    segs = ws.segments() if redo else ws.pending_segments(model_id)
    m = coder.meta
    run = ws.start_run("code", model_id, m["weights_sha256"], cb.ref, {
        "device": coder.placement.describe(), "model_dir": str(Path(model_dir).resolve()), "model_name": m["name"],
        "thresholds": m["thresholds"], "review_model": m.get("review_model"), "base_model": m.get("base_model"),
        "model_lccode_version": m.get("lccode_version"),
        "dev_metrics": _slim(m.get("dev_metrics")), "test_metrics": _slim(m.get("test_metrics")),
        "trained_at": m.get("trained_at"), "decisions_used": m.get("decisions_used", 0),
        "batch_size": batch_size, "chunk": chunk})
    t0 = time.perf_counter()
    done = 0
    kinds = {t.id: t.kind for t in ws.transcripts()}
    tokens: dict = {}
    store = _Storage(ws, coder.labels, model_id, run)
    try:
        try:
            for part, context in _transcript_chunks(ws, segs, chunk):
                # A segment is read with its neighbours, so whole transcripts are coded; only the pending are stored.
                pending = {s.key for s in part}
                keep = [i for i, s in enumerate(context) if s.key in pending]
                shown = _Share(progress, len(keep), len(context))
                probs_all = coder.probabilities([s.text for s in context], batch_size, shown if progress else None,
                                                positions_of(context, kinds), tokens)
                probs = probs_all[keep]
                store.put([context[i].key for i in keep], probs, coder.decide(probs))
                shown.finish()
                done += len(keep)
        finally:
            store.close()  # what was coded is stored, also when interrupted
    except BaseException:
        ws.finish_run(run, "interrupted")
        raise
    finally:
        coder.cache.save()
    seconds = time.perf_counter() - t0
    stats = {"segments": done, "seconds": round(seconds, 2), "segments_per_s": round(done / seconds, 1) if seconds else None,
             "device": coder.placement.describe(), "model_id": model_id, "batch_size": batch_size, "chunk": chunk,
             "padding_waste": round(1 - tokens["tokens"] / tokens["padded_tokens"], 4) if tokens.get("padded_tokens") else None,
             "skipped": ws.count_segments() - done}
    ws.finish_run(run, "done", ws.run(run).params | {"stats": stats})
    return stats

"""Coding with a trained model: length-sorted batches under inference_mode, probabilities per code."""

from __future__ import annotations

import logging
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
        return torch.zeros((0, model.pooled_dim), device=dev)
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
        from lccode.model.storage import load_model

        set_threads()
        placement = resolve_device(device, precision)
        model, tokenizer, meta = load_model(folder, codebook, light)
        model.to(placement.device)
        for encoder in model.encoders() if placement.autocast is not None else []:
            if hasattr(encoder, "cast_linear"):
                encoder.cast_linear(placement.autocast)
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
        return out if len(texts) else np.zeros((0, self.model.pooled_dim), dtype=np.float32)

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

"""What a training step reads: tokenised examples, batches of similar length or packed transcript windows,
and the cached outputs of the frozen lower encoder layers."""

from __future__ import annotations

import random

from lccode.data import Example, label_matrix
from lccode.model.training_args import TrainConfig


def length_batches(lengths: list[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar length (less padding, same randomness across epochs for a seed)."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    pool = batch_size * 50
    batches = []
    for s in range(0, len(idx), pool):
        chunk = sorted(idx[s:s + pool], key=lambda i: lengths[i])
        batches.extend(chunk[b:b + batch_size] for b in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def windows(examples: list[Example], turns_per_window: int,
            excerpt_weight: float = 1.0) -> list[tuple[list[int], list[float]]]:
    """Training units for the context head (lccode.model.context.turn_windows): whole turns of one transcript led by
    the turn before them, which gives context but no loss; an excerpt is a unit of its own, weighing
    excerpt_weight."""
    from lccode.model.context import turn_windows

    return [(rows, [0.0] * lead + [excerpt_weight if examples[rows[0]].doc is None else 1.0] * (len(rows) - lead))
            for rows, lead in turn_windows([e.position for e in examples], turns_per_window)]


def pack(windows, rows_per_batch: int, rng: random.Random) -> list[list[int]]:
    """Shuffled windows packed into batches of about rows_per_batch rows."""
    order = list(range(len(windows)))
    rng.shuffle(order)
    batches, cur, size = [], [], 0
    for w in order:
        if cur and size + len(windows[w][0]) > rows_per_batch:
            batches.append(cur)
            cur, size = [], 0
        cur.append(w)
        size += len(windows[w][0])
    if cur:
        batches.append(cur)
    return batches


def epoch_batches(windows, lengths, cfg: TrainConfig, rng: random.Random):
    """(rows, loss weights) per step: packed transcript windows with context, length-sorted batches without."""
    if cfg.context:
        for b in pack(windows, cfg.batch_size, rng):
            yield [r for w in b for r in windows[w][0]], [x for w in b for x in windows[w][1]]
    else:
        for rows in length_batches(lengths, cfg.batch_size, rng):
            yield rows, [1.0] * len(rows)


def batch_positions(examples: list[Example], rows: list[int], rng: random.Random, role_dropout: float):
    """Positions of a batch's rows; windows of one transcript stay apart, and roles are sometimes hidden so
    the model also codes transcripts whose speakers have no known role."""
    from lccode.records import Position

    out, window, last = [], 0, None
    for r in rows:
        e = examples[r]
        if e.doc is None or last is None or last.doc != e.doc or (last.turn or 0) > (e.turn or 0):
            window += 1
        role = None if rng.random() < role_dropout else e.speaker
        out.append(Position(None if e.doc is None else f"{e.doc}#{window}", e.turn, role, e.kind))
        last = e
    return out


def tokenize(tokenizer, examples: list[Example], cfg: TrainConfig, labels: list[str]):
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    ds = Dataset.from_dict({"text": [cfg.input_prefix + e.text for e in examples],
                            "labels": label_matrix(examples, labels).tolist()})
    ds = ds.map(lambda b: tokenizer(b["text"], truncation=True, max_length=cfg.max_length), batched=True,
                remove_columns=["text"], desc=None)
    return ds


def collate(ds, ids: list[int], pad_id: int, device):
    import torch

    rows = ds[ids]
    width = max(len(x) for x in rows["input_ids"])
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(ids), width), dtype=torch.long)
    for r, seq in enumerate(rows["input_ids"]):
        input_ids[r, :len(seq)] = torch.tensor(seq)
        mask[r, :len(seq)] = 1
    return input_ids.to(device), mask.to(device), torch.tensor(rows["labels"], dtype=torch.float32, device=device)


def lower_cache(model, ds, k: int, pad_id: int, placement) -> list:
    """Outputs of the frozen lower layers per example (computed once; dropout off, as in inference)."""
    import torch

    from lccode.model.device import autocast

    lengths = [len(x) for x in ds["input_ids"]]
    cache = [None] * len(lengths)
    model.eval()
    with torch.inference_mode(), autocast(placement):
        for ids in _sorted_batches(lengths):
            input_ids, mask, _ = collate(ds, ids, pad_id, placement.device)
            hidden = model.lower(input_ids, mask, k).float()
            for r, i in enumerate(ids):
                cache[i] = hidden[r, :lengths[i]].clone()
    return cache


def collate_cached(cache: list, ds, ids: list[int], device):
    import torch

    width = max(cache[i].shape[0] for i in ids)
    hidden = torch.zeros((len(ids), width, cache[ids[0]].shape[1]), device=device)
    mask = torch.zeros((len(ids), width), dtype=torch.long, device=device)
    for r, i in enumerate(ids):
        hidden[r, :cache[i].shape[0]] = cache[i]
        mask[r, :cache[i].shape[0]] = 1
    return hidden, mask, torch.tensor(ds[ids]["labels"], dtype=torch.float32, device=device)


def pooled_rows(model, ds, cache, split_at: int, pad_id: int, placement):
    """Pooled embeddings of every row of ds (over the cached lower layers when there are some), in row order."""
    import torch

    from lccode.model.device import autocast

    n = len(ds)
    out = None
    model.eval()
    with torch.inference_mode(), autocast(placement):
        for ids in _sorted_batches([len(x) for x in ds["input_ids"]]):
            if cache is not None:
                hidden, mask, _ = collate_cached(cache, ds, ids, placement.device)
                pooled = model.upper_pooled(hidden, mask, split_at).float()
            else:
                input_ids, mask, _ = collate(ds, ids, pad_id, placement.device)
                pooled = model.pooled(input_ids, mask).float()
            if out is None:
                out = torch.zeros((n, pooled.shape[1]), device=pooled.device)
            out[torch.tensor(ids, device=pooled.device)] = pooled
    return out


def _sorted_batches(lengths: list[int], size: int = 64) -> list[list[int]]:
    """Row indices sorted by length, cut into batches (inference over a training split pads little this way)."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[s:s + size] for s in range(0, len(order), size)]

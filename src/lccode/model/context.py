"""Where a segment sits in its transcript, and the head that reads a segment together with its neighbours.

In a running transcript one sentence is often meaningful only with the sentence before it, the question it
answers and who says it. Each segment is encoded once on its own (so coding costs what it did); the context
head then sees, next to the segment's own pooled embedding, those of the previous and next sentence in the
same turn, the mean of its turn, the mean of the previous turn, and the speaker's role. A stand-alone excerpt
is a one-sentence turn without a previous turn, so excerpts and transcripts train one model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lccode.records import KINDS, ROLES, Position

# role (4 + none), kind (2 + none), role of the previous turn's speaker (4 + none),
# first/last sentence of its turn, has a previous turn.
N_FEATURES = 5 + 3 + 5 + 3


@dataclass(frozen=True)
class Layout:
    """Index arrays over a list of rows; -1 means "none" (gathered as a zero vector)."""

    prev: np.ndarray        # previous row in the same turn
    next: np.ndarray        # next row in the same turn
    group: np.ndarray       # turn group of each row (0..n_groups-1)
    prev_group: np.ndarray  # per group: the previous turn's group in the same doc
    features: np.ndarray    # (n, N_FEATURES) float32

    @property
    def n_groups(self) -> int:
        return len(self.prev_group)


def _onehot(value: str | None, slots: tuple[str, ...]) -> list[float]:
    v = [0.0] * (len(slots) + 1)
    v[slots.index(value) if value in slots else len(slots)] = 1.0
    return v


def layout(positions: list[Position]) -> Layout:
    n = len(positions)
    group = np.zeros(n, dtype=np.int64)
    prev_group: list[int] = []
    group_role: list[str | None] = []
    key = None
    for i, p in enumerate(positions):
        k = (p.doc, p.turn) if p.doc is not None else ("\0excerpt", i)
        if k != key:
            same_doc = key is not None and p.doc is not None and key[0] == p.doc
            prev_group.append(len(prev_group) - 1 if same_doc else -1)
            group_role.append(p.role)
            key = k
        group[i] = len(prev_group) - 1
    prev = np.full(n, -1, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    same = group[1:] == group[:-1]
    prev[1:][same] = np.arange(n - 1)[same]
    nxt[:-1][same] = np.arange(1, n)[same]
    feats = np.zeros((n, N_FEATURES), dtype=np.float32)
    for i, p in enumerate(positions):
        pg = prev_group[group[i]]
        feats[i] = (_onehot(p.role, ROLES) + _onehot(p.kind, KINDS)
                    + _onehot(group_role[pg] if pg >= 0 else None, ROLES)
                    + [float(prev[i] < 0), float(nxt[i] < 0), float(pg >= 0)])
    return Layout(prev, nxt, group, np.array(prev_group, dtype=np.int64), feats)


def turn_windows(positions: list[Position], turns: int):
    """Training units over rows in transcript order: (rows, lead) for runs of up to `turns` whole turns of one
    document, led by the `lead` rows of the turn before them (context only); a stand-alone excerpt is ([row], 0)."""
    i, n = 0, len(positions)
    while i < n:
        doc = positions[i].doc
        if doc is None:
            yield [i], 0
            i += 1
            continue
        j = i
        while j < n and positions[j].doc == doc:
            j += 1
        groups: list[list[int]] = []
        for r in range(i, j):
            if not groups or positions[r].turn != positions[groups[-1][0]].turn:
                groups.append([])
            groups[-1].append(r)
        for s in range(0, len(groups), turns):
            lead = groups[s - 1] if s else []
            yield lead + [r for g in groups[s:s + turns] for r in g], len(lead)
        i = j


def build_head(hidden: int, n_labels: int, width: int = 256, dropout: float = 0.1):
    import torch
    from torch import nn

    class ContextHead(nn.Module):
        """Logits added to the plain head's: starts at zero, so an untrained context head changes nothing."""

        def __init__(self):
            super().__init__()
            self.dropout = nn.Dropout(dropout)
            self.inner = nn.Linear(5 * hidden + N_FEATURES, width)
            self.out = nn.Linear(width, n_labels)
            nn.init.zeros_(self.out.weight)
            nn.init.zeros_(self.out.bias)

        def forward(self, pooled, lay: Layout):
            dev, dt = pooled.device, pooled.dtype
            zero = pooled.new_zeros((1, pooled.shape[1]))
            ext = torch.cat([pooled, zero])  # index -1 picks the zero row
            prev = ext[torch.as_tensor(lay.prev, device=dev)]
            nxt = ext[torch.as_tensor(lay.next, device=dev)]
            group = torch.as_tensor(lay.group, device=dev)
            sums = pooled.new_zeros((lay.n_groups, pooled.shape[1])).index_add(0, group, pooled)
            counts = torch.bincount(group, minlength=lay.n_groups).clamp(min=1).to(dt).unsqueeze(1)
            means = torch.cat([sums / counts, zero])
            turn = means[group]
            before = means[torch.as_tensor(lay.prev_group, device=dev)][group]
            feats = torch.as_tensor(lay.features, device=dev, dtype=dt)
            x = torch.cat([pooled, prev, nxt, turn, before, feats], dim=1)
            return self.out(torch.nn.functional.gelu(self.inner(self.dropout(x))))

    return ContextHead()

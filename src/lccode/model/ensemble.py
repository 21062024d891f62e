"""Several fine-tuned classifiers over one base encoder, read as one model: their logits are averaged.

Members differ only in what training changed (on the CPU, the top encoder layers and the heads), so the frozen lower
layers run once per batch and each member adds its top layers: three members took 1.64x one member's coding time
(`bench_ensemble` in scripts/bench_model.py; counting layers alone would say 1.67x).
On the bundled data, averaging two or three independently seeded runs was the largest measured gain on whole
transcripts (see the README's figures); averaging their weights instead gained nothing.

On disk an ensemble is a folder with `lccode.json` (the joint temperature, thresholds and review model, and the
members' checksums) and one ordinary model folder per member (`member-1/`, `member-2/`, ...), each verified against
its own checksum when loaded; the ensemble's checksum covers the members' in order.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
from torch import nn

from lccode.errors import ModelError


class Ensemble(nn.Module):
    """LcClassifier members read as one: `pooled` concatenates the members' pooled outputs, `logits` averages theirs."""

    def __init__(self, members: list, shared_layers: int = 0):
        super().__init__()
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two members")
        self.members = nn.ModuleList(members)
        self.register_buffer("temperature", torch.ones(()))
        self.shared_layers = shared_layers if shared_layers and _same_lower(members, shared_layers) else 0
        if self.shared_layers:
            first = members[0].encoder
            for m in members[1:]:  # one copy of the frozen layers in memory, and one pass through them per batch
                m.encoder.embeddings = first.embeddings
                for i in range(self.shared_layers):
                    m.encoder.encoder.layer[i] = first.encoder.layer[i]

    @property
    def context(self):
        return self.members[0].context

    @property
    def pooled_dim(self) -> int:
        return sum(m.pooled_dim for m in self.members)

    def encoders(self) -> list:
        return [m.encoder for m in self.members]

    def head_parameters(self) -> list:
        return [p for m in self.members for p in m.head_parameters()]

    def pooled(self, input_ids, attention_mask):
        if not self.shared_layers:
            return torch.cat([m.pooled(input_ids, attention_mask) for m in self.members], 1)
        k = self.shared_layers
        hidden = self.members[0].lower(input_ids, attention_mask, k)
        return torch.cat([m.upper_pooled(hidden, attention_mask, k) for m in self.members], 1)

    def member_logits(self, pooled, lay=None):
        """[members, rows, codes]: each member's logits on its part of the pooled output."""
        parts = torch.split(pooled, [m.pooled_dim for m in self.members], dim=1)
        return torch.stack([m.logits(p, lay) for m, p in zip(self.members, parts)])

    def logits(self, pooled, lay=None):
        return self.member_logits(pooled, lay).mean(0)

    def forward(self, input_ids, attention_mask, lay=None):
        return self.logits(self.pooled(input_ids, attention_mask), lay)


def _same_lower(members: list, k: int) -> bool:
    """Whether the members' embeddings and first k layers hold the same weights (members of one base, frozen there)."""
    first = members[0]
    if not all(m.supports_split() for m in members):
        return False
    ref = [p for p in first.encoder.embeddings.parameters()] + [p for layer in first.encoder.encoder.layer[:k]
                                                                  for p in layer.parameters()]
    for m in members[1:]:
        own = [p for p in m.encoder.embeddings.parameters()] + [p for layer in m.encoder.encoder.layer[:k]
                                                                 for p in layer.parameters()]
        if len(own) != len(ref) or any(a.shape != b.shape or not torch.equal(a, b) for a, b in zip(own, ref)):
            return False
    return True


def shared_layers_of(delta_names: list[list[str]] | None) -> int:
    """Lower layers no member changed, from the names of each member's fine-tuned parameters (0 if unknown)."""
    if not delta_names or any(not names for names in delta_names):
        return 0
    changed = []
    for names in delta_names:
        for n in names:
            if n.startswith("embeddings."):
                return 0
            parts = n.split(".")
            if parts[:2] == ["encoder", "layer"]:
                changed.append(int(parts[2]))
    return min(changed) if changed else 0


def member_dir(folder: Path, i: int) -> Path:
    return Path(folder) / f"member-{i + 1}"


def joint_digest(member_digests: list[str]) -> str:
    return hashlib.sha256(":".join(member_digests).encode()).hexdigest()


def save_ensemble(model: Ensemble, tokenizer, folder: Path, meta: dict, deltas: list, base=None,
                  member_metas: list[dict] | None = None) -> dict:
    """Write every member as an ordinary model folder, then the joint lccode.json, atomically (temp folder, rename)."""
    from lccode.model.storage import publish, save_model, staged

    folder = Path(folder)
    seeds = [e.get("seed") for e in (meta.get("ensemble") or {}).get("members", [])]
    member_metas = member_metas or [{"seed": seeds[i]} if i < len(seeds) else {} for i in range(len(model.members))]
    with staged(folder) as tmp:
        digests = []
        for i, member in enumerate(model.members):
            # what describes the ensemble as a whole (its members' data, what it was joined from) is not the member's
            own = {k: v for k, v in meta.items() if k not in ("ensemble", "review_model", "train_data", "joined_from")}
            own = own | member_metas[i] | {"name": f"{meta['name']}.member-{i + 1}"}
            saved = save_model(member, tokenizer, member_dir(tmp, i), own, delta=deltas[i], base=base)
            digests.append(saved["weights_sha256"])
        digest = joint_digest(digests)
        meta = dict(meta, weights_sha256=digest, model_id=f"{meta['name']}@{digest[:12]}",
                    encoder={"format": "ensemble"},
                    ensemble={"members": [{"path": member_dir(Path("."), i).name, "weights_sha256": d,
                                           "seed": member_metas[i].get("seed")}
                                          for i, d in enumerate(digests)],
                              "shared_layers": model.shared_layers, "combine": "mean of logits"})
        publish(tmp, folder, meta)
    return meta


def load_ensemble(folder: Path, meta: dict, light: bool = True):
    """(Ensemble, tokenizer): each member loaded and verified as a model folder, then checked against the joint checksum."""
    from lccode.model.storage import load_model

    entries = (meta.get("ensemble") or {}).get("members") or []
    if len(entries) < 2:
        raise ModelError("the ensemble's lccode.json lists fewer than two members", file=Path(folder) / "lccode.json",
                         expected="'ensemble': {'members': [...]} with two or more member folders",
                         fix="restore the model folder from its source, or retrain it with 'lccode train'")
    members, digests, tokenizer = [], [], None
    for entry in entries:
        path = Path(folder) / entry["path"]
        if not path.is_dir():
            raise ModelError(f"the ensemble's member folder {entry['path']} is missing", file=folder,
                             fix="restore the model folder from its source (git checkout models/), or retrain it")
        model, tokenizer, own = load_model(path, None, light)
        members.append(model)
        digests.append(own["weights_sha256"])
    if joint_digest(digests) != meta.get("weights_sha256") or digests != [e.get("weights_sha256") for e in entries]:
        raise ModelError("the ensemble's members do not match the checksum in lccode.json (changed or damaged)",
                         file=folder, expected=f"sha256 {str(meta.get('weights_sha256'))[:12]}...",
                         fix="restore the model folder from its source (git checkout models/), or retrain it")
    return Ensemble(members, int(meta["ensemble"].get("shared_layers") or 0)), tokenizer


def member_deltas(folder: Path, meta: dict) -> list:
    """The fine-tuned encoder parameter names of each member of a saved ensemble (None for a full-format member)."""
    from lccode.model.quick import delta_names

    return [delta_names(Path(folder) / e["path"]) for e in meta["ensemble"]["members"]]

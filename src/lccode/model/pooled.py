"""Pooled encoder outputs kept on disk, so a text is encoded once per encoder.

Everything after the encoder (the plain head, the context head, calibration, the review ranking, quick
retraining) works on a segment's pooled embedding. A model whose encoder did not change (a quick retrain
trains only the heads) reuses the vectors of its parent: the cache is named by the encoder's identity, not by
the model's. Vectors are stored as computed (float32, 1.5 kB per segment), so a cached vector codes exactly as a
fresh one.

A cache of workspace text lives in the workspace folder (`cache/`), never next to the models: an embedding
is derived from interview text.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


def encoder_key(folder: str | Path, meta: dict) -> str:
    """What decides the pooled output: the base weights and the fine-tuned layers (never the heads)."""
    if meta.get("encoder_key"):
        return meta["encoder_key"]
    from lccode.model.provision import file_sha256
    from lccode.model.storage import DELTA_FILE

    enc = meta.get("encoder") or {}
    if enc.get("format") == "ensemble":  # the members' encoders, in order
        from lccode.model.storage import read_meta

        keys = [encoder_key(Path(folder) / e["path"], read_meta(Path(folder) / e["path"]))
                for e in meta["ensemble"]["members"]]
        digest = hashlib.sha256(":".join(keys).encode()).hexdigest()
    elif enc.get("format") == "delta":
        own = file_sha256(Path(folder) / DELTA_FILE)
        digest = hashlib.sha256(f"{enc.get('base_weights_sha256')}:{own}".encode()).hexdigest()
    else:
        digest = meta.get("weights_sha256") or hashlib.sha256(str(Path(folder).resolve()).encode()).hexdigest()
    return digest[:16]


def text_key(text: str, prefix: str, max_length: int) -> str:
    return hashlib.sha1(f"{max_length}\0{prefix}{text}".encode("utf-8")).hexdigest()


@dataclass
class PooledCache:
    """Text -> pooled vector for one encoder; `save()` writes what was added (atomically)."""

    path: Path | None
    prefix: str
    max_length: int
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, folder: str | Path | None, key: str, prefix: str = "query: ", max_length: int = 128) -> "PooledCache":
        """The cache for encoder `key` in `folder` (None: in memory only)."""
        if folder is None:
            return cls(None, prefix, max_length)
        path = Path(folder) / f"pooled-{key}.npz"
        cache = cls(path, prefix, max_length)
        if path.is_file():
            try:
                with np.load(path) as z:
                    if json.loads(str(z["meta"])) == {"prefix": prefix, "max_length": max_length}:
                        cache.vectors = dict(zip((k.decode() for k in z["keys"]), z["vecs"]))
            except (OSError, ValueError, KeyError):  # a damaged cache is only lost time: start afresh
                cache.vectors = {}
        return cache

    def get(self, texts: list[str], compute) -> np.ndarray:
        """Vectors for texts (float32, input order); `compute(missing_texts)` returns an array for the rest."""
        keys = [text_key(t, self.prefix, self.max_length) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.vectors))
        if missing:
            first = {k: t for k, t in zip(keys, texts)}
            new = np.asarray(compute([first[k] for k in missing]), dtype=np.float32)
            for k, v in zip(missing, new):
                self.vectors[k] = v
            self.dirty = True
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([self.vectors[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        import os
        import tempfile

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".pooled-", suffix=".npz", dir=self.path.parent)
        os.close(fd)
        try:
            keys = list(self.vectors)
            np.savez(tmp, keys=np.array([k.encode() for k in keys], dtype="S40"),
                     vecs=np.stack([self.vectors[k] for k in keys]) if keys else np.zeros((0, 0), np.float32),
                     meta=np.array(json.dumps({"prefix": self.prefix, "max_length": self.max_length})))
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self.dirty = False


def workspace_cache_dir(ws) -> Path:
    return Path(ws.root) / "cache"

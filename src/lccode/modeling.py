"""The classifier: a Hugging Face encoder, mean pooling (as e5 was trained), and a multi-label head.

A saved model is a Hugging Face folder (encoder weights, config with the codebook's labels in id2label,
tokenizer) plus `head.safetensors` and `lccode.json` (codebook, thresholds, temperature, metrics, provenance).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from torch import nn

from lccode.errors import ModelError

META_FILE = "lccode.json"
HEAD_FILE = "head.safetensors"


class LcClassifier(nn.Module):
    def __init__(self, encoder, n_labels: int, dropout: float = 0.1):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)
        self.register_buffer("temperature", torch.ones(()))

    def pooled(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids, attention_mask):
        return self.head(self.dropout(self.pooled(input_ids, attention_mask)))

    # Split forward for BERT-like encoders: the frozen lower layers run once per text and are cached, so a
    # CPU epoch only runs the trainable top layers. Other architectures train end to end.
    def supports_split(self) -> bool:
        enc = self.encoder
        return hasattr(enc, "embeddings") and hasattr(getattr(enc, "encoder", None), "layer")

    def _mask(self, hidden, attention_mask):
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask)

    def lower(self, input_ids, attention_mask, k: int):
        hidden = self.encoder.embeddings(input_ids=input_ids)
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[:k]:
            hidden = layer(hidden, mask)
        return hidden

    def upper(self, hidden, attention_mask, k: int):
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[k:]:
            hidden = layer(hidden, mask)
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    def freeze_lower(self, k: int):
        """Freeze embeddings and the first k layers (k=0 freezes nothing but what freeze_word_embeddings says)."""
        if k <= 0:
            return
        for p in self.encoder.embeddings.parameters():
            p.requires_grad_(False)
        for layer in self.encoder.encoder.layer[:k]:
            for p in layer.parameters():
                p.requires_grad_(False)

    def freeze_word_embeddings(self, frozen: bool = True):
        self.encoder.embeddings.word_embeddings.weight.requires_grad_(not frozen)


def _offline():
    # A local folder never needs the hub; a hub id only resolves where the user has a cache or a network.
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


def load_encoder(name_or_path: str | Path):
    """Any Hugging Face encoder id or local folder, with its tokenizer."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    _offline()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()  # lccode shows its own progress; weight-loading bars are noise
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(name_or_path))
        encoder = AutoModel.from_pretrained(str(name_or_path), add_pooling_layer=False)
    except TypeError:  # encoders without a pooler do not take add_pooling_layer
        encoder = AutoModel.from_pretrained(str(name_or_path))
    except OSError as exc:
        raise ModelError(f"cannot load base model '{name_or_path}': {str(exc).splitlines()[0]}",
                         expected="a local Hugging Face model folder, or a hub id that is cached or reachable",
                         fix="omit --base-model to use the bundled offline multilingual-e5-small") from None
    return encoder, tokenizer


def new_model(base: str | Path, labels: list[str], dropout: float = 0.1) -> tuple[LcClassifier, object]:
    encoder, tokenizer = load_encoder(base)
    model = LcClassifier(encoder, len(labels), dropout)
    encoder.config.id2label = dict(enumerate(labels))
    encoder.config.label2id = {l: i for i, l in enumerate(labels)}
    return model, tokenizer


def weights_hash(folder: Path) -> str:
    from lccode.provision import file_sha256

    return file_sha256(folder / "model.safetensors", folder / HEAD_FILE)


def save_model(model: LcClassifier, tokenizer, folder: Path, meta: dict) -> dict:
    """Write atomically (temp folder, then rename) so an interrupted save never leaves half a model."""
    import shutil
    import tempfile

    from safetensors.torch import save_file

    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".saving-", dir=folder.parent))
    try:
        model.encoder.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        save_file({"weight": model.head.weight.detach().float().cpu().contiguous(),
                   "bias": model.head.bias.detach().float().cpu().contiguous(),
                   "temperature": model.temperature.detach().float().cpu().reshape(1)}, str(tmp / HEAD_FILE))
        digest = weights_hash(tmp)
        meta = dict(meta, weights_sha256=digest, model_id=f"{meta['name']}@{digest[:12]}")
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
        from lccode.model_card import write_card

        write_card(tmp, meta)
        tmp.chmod(0o755)
        if folder.exists():
            backup = folder.with_name(folder.name + ".previous")
            if backup.exists():
                shutil.rmtree(backup)
            folder.rename(backup)
        tmp.rename(folder)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return meta


def read_meta(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / META_FILE
    if not path.is_file():
        raise ModelError("not an lccode model folder", file=folder, expected=f"a folder with {META_FILE} and {HEAD_FILE}",
                         fix="train one with 'lccode train', or give the path of a trained model")
    return json.loads(path.read_text(encoding="utf-8"))


def load_model(folder: str | Path, codebook=None) -> tuple[LcClassifier, object, dict]:
    """Load a trained model; refuse it when it was trained for another codebook."""
    from safetensors.torch import load_file

    folder = Path(folder)
    meta = read_meta(folder)
    if codebook is not None:
        check_codebook(meta, codebook, folder)
    encoder, tokenizer = load_encoder(folder)
    model = LcClassifier(encoder, len(meta["labels"]))
    head = load_file(str(folder / HEAD_FILE))
    model.head.weight.data.copy_(head["weight"])
    model.head.bias.data.copy_(head["bias"])
    model.temperature.fill_(float(head["temperature"][0]))
    model.eval()
    return model, tokenizer, meta


def check_codebook(meta: dict, codebook, folder) -> None:
    if meta.get("codebook_hash") != codebook.hash or meta.get("labels") != codebook.code_ids:
        raise ModelError(
            f"this model was trained for codebook {meta.get('codebook_ref')}, not {codebook.ref}",
            file=folder, expected="a model trained with the workspace's codebook",
            fix="retrain with 'lccode train' on this codebook, or use the codebook the model was trained with")

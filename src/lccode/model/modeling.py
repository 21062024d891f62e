"""The classifier: a Hugging Face encoder, mean pooling (as e5 was trained), and a multi-label head.

How a trained classifier is saved and loaded is in lccode.model.storage.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

from lccode.errors import ModelError


class LcClassifier(nn.Module):
    def __init__(self, encoder, n_labels: int, dropout: float = 0.1, context: bool = False):
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, n_labels)
        self.register_buffer("temperature", torch.ones(()))
        self.context = None
        if context:
            from lccode.model.context import build_head

            self.context = build_head(encoder.config.hidden_size, n_labels, dropout=dropout)

    @property
    def pooled_dim(self) -> int:
        return self.head.in_features

    def encoders(self) -> list:
        return [self.encoder]

    def head_parameters(self) -> list:
        return list(self.head.parameters()) + (list(self.context.parameters()) if self.context is not None else [])

    def logits(self, pooled, lay=None):
        """The plain head on each segment, plus the context head where a layout of its neighbours is given."""
        out = self.head(self.dropout(pooled))
        if self.context is not None:
            if lay is None:
                from lccode.model.context import layout
                from lccode.records import Position

                lay = layout([Position()] * pooled.shape[0])
            out = out + self.context(pooled, lay)
        return out

    def pooled(self, input_ids, attention_mask):
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def forward(self, input_ids, attention_mask, lay=None):
        return self.logits(self.pooled(input_ids, attention_mask), lay)

    # Split forward for BERT-like encoders: the frozen lower layers run once per text and are cached, so a
    # CPU epoch only runs the trainable top layers. Other architectures train end to end.
    def supports_split(self) -> bool:
        enc = self.encoder
        return hasattr(enc, "embeddings") and hasattr(getattr(enc, "encoder", None), "layer")

    def _mask(self, hidden, attention_mask):
        if hasattr(self.encoder, "mask_for"):  # lccode.model.fastload's encoder
            return self.encoder.mask_for(attention_mask)
        from transformers.masking_utils import create_bidirectional_mask

        return create_bidirectional_mask(config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask)

    def lower(self, input_ids, attention_mask, k: int):
        hidden = self.encoder.embeddings(input_ids=input_ids)
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[:k]:
            hidden = layer(hidden, mask)
        return hidden

    def upper_pooled(self, hidden, attention_mask, k: int):
        mask = self._mask(hidden, attention_mask)
        for layer in self.encoder.encoder.layer[k:]:
            hidden = layer(hidden, mask)
        m = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    def upper(self, hidden, attention_mask, k: int, lay=None):
        return self.logits(self.upper_pooled(hidden, attention_mask, k), lay)

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


def new_model(base: str | Path, labels: list[str], dropout: float = 0.1,
              context: bool = False) -> tuple[LcClassifier, object]:
    encoder, tokenizer = load_encoder(base)
    model = LcClassifier(encoder, len(labels), dropout, context)
    encoder.config.id2label = dict(enumerate(labels))
    encoder.config.label2id = {l: i for i, l in enumerate(labels)}
    return model, tokenizer

"""A lighter model load for coding: a plain BERT encoder over memory-mapped weights, the bare tokenizer.

`lccode code` spent most of its fixed cost before the first segment on things coding does not need: importing
transformers' model machinery (~3 s on 2 cores), reading the 16 MB tokenizer.json twice through its wrapper
(~1 s), and copying the 470 MB base weights, 384 MB of which is the word-embedding table of which a workspace
touches a few thousand rows. Here the encoder is built on the meta device and handed the safetensors file's own
pages (mapped copy-on-write, so only the rows and layers actually read are paged in), and the tokenizer is
`tokenizers` without the wrapper. The forward pass repeats transformers' BertModel (SDPA attention) operation
for operation, so probabilities are bit-identical; tests and scripts/bench_model.py assert it.

Training keeps the transformers model (gradients, other architectures); only BERT-type encoders with absolute
positions and GELU are loaded this way, anything else goes through transformers as before.
"""

from __future__ import annotations

import json
import mmap
import struct
from pathlib import Path
from types import SimpleNamespace

import torch
import torch.nn.functional as F
from torch import nn

from lccode.errors import ModelError

_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
           "I32": torch.int32, "U8": torch.uint8, "I8": torch.int8, "BOOL": torch.bool}


def supported(config: dict) -> bool:
    """Whether `config` (a config.json) describes an encoder this module reproduces exactly."""
    return (config.get("model_type") == "bert" and config.get("hidden_act", "gelu") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and not config.get("is_decoder") and not config.get("add_cross_attention"))


def mmap_safetensors(path: str | Path) -> dict[str, torch.Tensor]:
    """The tensors of a safetensors file as views of its memory-mapped pages (copy-on-write: never written back).

    Nothing is read until a tensor is used; the tensors keep the mapping alive."""
    path = Path(path)
    with open(path, "rb") as f:
        try:
            (n,) = struct.unpack("<Q", f.read(8))
            header = json.loads(f.read(n))
        except (struct.error, ValueError, UnicodeDecodeError):
            raise ModelError("not a readable safetensors file", file=path,
                             fix="restore or re-provision the model ('lccode provision --force')") from None
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES[info["dtype"]]
        start, end = info["data_offsets"]
        count = (end - start) // dtype.itemsize
        flat = (torch.frombuffer(mm, dtype=dtype, count=count, offset=8 + n + start) if count
                else torch.empty(0, dtype=dtype))
        out[name] = flat.view(info["shape"])
    return out


# Parameters are made empty on the meta device and given the mapped tensors afterwards. torch.nn's layers
# would first initialise random weights (on meta that alone imports torch._dynamo: 1.5 s); these do the same
# forward through the same functional ops (so autocast treats them alike) and start empty.
def _empty(*shape: int) -> nn.Parameter:
    return nn.Parameter(torch.empty(shape, device="meta"), requires_grad=False)


class _Linear(nn.Module):
    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight, self.bias = _empty(n_out, n_in), _empty(n_out)

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


class _LayerNorm(nn.Module):
    def __init__(self, n: int, eps: float):
        super().__init__()
        self.weight, self.bias, self.eps, self.shape = _empty(n), _empty(n), eps, (n,)

    def forward(self, x):
        return F.layer_norm(x, self.shape, self.weight, self.bias, self.eps)


class _Embedding(nn.Module):
    def __init__(self, n: int, dim: int):
        super().__init__()
        self.weight = _empty(n, dim)

    def forward(self, ids):
        return F.embedding(ids, self.weight)


class _Embeddings(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        # padding_idx only matters for gradients; the forward is a plain lookup.
        self.word_embeddings = _Embedding(c.vocab_size, c.hidden_size)
        self.position_embeddings = _Embedding(c.max_position_embeddings, c.hidden_size)
        self.token_type_embeddings = _Embedding(c.type_vocab_size, c.hidden_size)
        self.LayerNorm = _LayerNorm(c.hidden_size, c.layer_norm_eps)

    def forward(self, input_ids):
        b, t = input_ids.shape
        positions = torch.arange(t, device=input_ids.device).unsqueeze(0)
        types = torch.zeros((b, t), dtype=torch.long, device=input_ids.device)
        # The order of the additions is transformers' (word + type, then + position): float sums are not associative.
        x = self.word_embeddings(input_ids) + self.token_type_embeddings(types)
        return self.LayerNorm(x + self.position_embeddings(positions))


class _SelfAttention(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.head_size = c.hidden_size // c.num_attention_heads
        self.query = _Linear(c.hidden_size, c.hidden_size)
        self.key = _Linear(c.hidden_size, c.hidden_size)
        self.value = _Linear(c.hidden_size, c.hidden_size)

    def forward(self, x, mask):
        shape = (*x.shape[:-1], -1, self.head_size)
        q, k, v = (lin(x).view(shape).transpose(1, 2) for lin in (self.query, self.key, self.value))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.0, scale=self.head_size ** -0.5,
                                             is_causal=False)
        return out.transpose(1, 2).contiguous().reshape(*x.shape[:-1], -1).contiguous()


class _Residual(nn.Module):
    """dense, then LayerNorm over the sum with the block's input (BertSelfOutput / BertOutput)."""

    def __init__(self, n_in: int, c: SimpleNamespace):
        super().__init__()
        self.dense = _Linear(n_in, c.hidden_size)
        self.LayerNorm = _LayerNorm(c.hidden_size, c.layer_norm_eps)

    def forward(self, x, residual):
        return self.LayerNorm(self.dense(x) + residual)


class _Attention(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.self = _SelfAttention(c)
        self.output = _Residual(c.hidden_size, c)

    def forward(self, x, mask):
        return self.output(self.self(x, mask), x)


class _Intermediate(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.dense = _Linear(c.hidden_size, c.intermediate_size)

    def forward(self, x):
        return F.gelu(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.attention = _Attention(c)
        self.intermediate = _Intermediate(c)
        self.output = _Residual(c.intermediate_size, c)

    def forward(self, x, mask=None):
        h = self.attention(x, mask)
        return self.output(self.intermediate(h), h)


class _Stack(nn.Module):
    def __init__(self, c: SimpleNamespace):
        super().__init__()
        self.layer = nn.ModuleList([_Layer(c) for _ in range(c.num_hidden_layers)])


class BertEncoder(nn.Module):
    """BertModel without pooler, for inference; parameter names are transformers' so saved weights load as they are."""

    def __init__(self, config: dict):
        super().__init__()
        c = SimpleNamespace(**{"type_vocab_size": 2, "layer_norm_eps": 1e-12, "pad_token_id": 0, **config})
        self.config = c
        self.embeddings = _Embeddings(c)
        self.encoder = _Stack(c)

    def cast_linear(self, dtype) -> None:
        """Store the linear layers' weights in the autocast dtype. Autocast casts them to exactly these values on
        every call (it caches casts only for weights that require grad), so results are unchanged and each batch
        skips re-casting ~21 M weights; embeddings and LayerNorms stay fp32 as autocast keeps them."""
        for module in self.modules():
            if isinstance(module, _Linear):
                module.weight.data = module.weight.data.to(dtype)
                module.bias.data = module.bias.data.to(dtype)

    @staticmethod
    def mask_for(attention_mask):
        """As transformers' SDPA path: no mask when nothing is padded, else a boolean (batch, 1, query, key) mask."""
        b, t = attention_mask.shape
        return None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :].expand(b, 1, t, t)

    def forward(self, input_ids, attention_mask):
        x = self.embeddings(input_ids)
        mask = self.mask_for(attention_mask)
        for layer in self.encoder.layer:
            x = layer(x, mask)
        return SimpleNamespace(last_hidden_state=x)


def load_encoder(folder: Path, overrides: dict[str, torch.Tensor] | None = None) -> BertEncoder:
    """The encoder of a Hugging Face BERT folder, weights memory-mapped; `overrides` (fine-tuned parameters)
    replace the base's tensors by reference, so the base pages they shadow are never read."""
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    encoder = BertEncoder(config)
    tensors = mmap_safetensors(folder / "model.safetensors")
    wanted = dict(encoder.named_parameters())
    state = {}
    for name in wanted:
        t = (overrides or {}).get(name)
        if t is None:
            t = tensors.get(name, tensors.get(f"bert.{name}"))
        if t is None:
            raise ModelError(f"the encoder weights lack {name}", file=folder / "model.safetensors",
                             fix="re-provision the base model with 'lccode provision --force'")
        state[name] = nn.Parameter(t if t.dtype == torch.float32 else t.float(), requires_grad=False)
    encoder.load_state_dict(state, strict=True, assign=True)
    return encoder.eval()


class Tokenizer:
    """What coding asks of a transformers tokenizer (`tok(texts, truncation=True, max_length=n)["input_ids"]`,
    `pad_token_id`), over `tokenizers` directly: the same ids, without a second parse of tokenizer.json."""

    def __init__(self, folder: Path):
        from tokenizers import Tokenizer as _Tok

        self._tok = _Tok.from_file(str(folder / "tokenizer.json"))
        cfg_path = folder / "tokenizer_config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.is_file() else {}
        pad = cfg.get("pad_token", "<pad>")
        self.pad_token_id = self._tok.token_to_id(pad if isinstance(pad, str) else pad.get("content", "<pad>"))
        self.model_max_length = int(cfg.get("model_max_length", 512))

    def __call__(self, texts: list[str], truncation: bool = True, max_length: int | None = None) -> dict:
        # transformers' fast tokenizer sets exactly this before encoding (longest_first, stride 0, right side).
        if truncation:
            self._tok.enable_truncation(max_length or self.model_max_length)
        else:
            self._tok.no_truncation()
        self._tok.no_padding()
        enc = self._tok.encode_batch(list(texts), add_special_tokens=True)
        return {"input_ids": [e.ids for e in enc], "attention_mask": [e.attention_mask for e in enc]}


def can_load(folder: Path) -> bool:
    """A folder this module can load: BERT config, model.safetensors and tokenizer.json."""
    cfg = folder / "config.json"
    if not (cfg.is_file() and (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()):
        return False
    return supported(json.loads(cfg.read_text(encoding="utf-8")))

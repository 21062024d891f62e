"""Where lccode finds its files. Resources (the default codebook, templates, schemas) are package data, so an
installed wheel works anywhere; the bundled training data, sample corpus and models/ folder belong to a
checkout and are looked up there only."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

# The model `lccode train` writes and `lccode code`, `evaluate` and `sample` use when none is named.
DEFAULT_MODEL_NAME = "lc-default"


@lru_cache(maxsize=1)
def checkout() -> Path | None:
    """The lccode checkout this package runs from (an editable install), else None (an installed wheel)."""
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file() and (repo / "src" / "lccode").is_dir():
        return repo
    return None


def resource(name: str) -> Path:
    from importlib.resources import files

    return Path(str(files("lccode.resources") / name))


def default_codebook() -> Path:
    return resource("learning-communities.yaml")


def training_data_dir() -> Path | None:
    repo = checkout()
    return repo / "training_data" if repo and (repo / "training_data").is_dir() else None


def sample_corpus() -> Path | None:
    repo = checkout()
    return repo / "corpus_sample" if repo and (repo / "corpus_sample").is_dir() else None


def models_dir() -> Path:
    """$LCCODE_MODELS, else the checkout's models/ folder, else ~/.cache/lccode/models."""
    env = os.environ.get("LCCODE_MODELS")
    if env:
        return Path(env)
    repo = checkout()
    return repo / "models" if repo else Path.home() / ".cache" / "lccode" / "models"


def default_model_dir() -> Path:
    return models_dir() / DEFAULT_MODEL_NAME

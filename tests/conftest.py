"""Shared test fixtures: the fixture transcripts, the sample corpus, workspaces, and an in-process CLI.

Everything here runs on real inputs: the files under tests/fixtures/ and corpus_sample/ are read, segmented and
stored by the product code. The sample corpus is segmented once per session (spaCy's import is most of it).

Test modules get these through fixtures, not `from conftest import ...`: tests/review/ and tests/export/ have
conftest modules of their own, and whichever was imported last answers to the name `conftest`.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lccode.codebook import load_codebook
from lccode.data import load_jsonl

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
BAD = FIXTURES / "bad"
MANIFESTS = FIXTURES / "manifests"
CODEBOOKS = FIXTURES / "codebooks"
SAMPLE = REPO / "corpus_sample"

@pytest.fixture(scope="session")
def segmenter():
    from lccode.segment import Segmenter

    return Segmenter()


@pytest.fixture(scope="session")
def fixture_transcripts():
    """Every fixture transcript, read with its manifest.yaml metadata, by transcript id."""
    from lccode.ingest import discover, read_transcript

    return {tr.meta.id: tr for tr in (read_transcript(p, m) for p, m in discover([TRANSCRIPTS]))}


@pytest.fixture(scope="session")
def fixture_segments(fixture_transcripts, segmenter):
    trs = list(fixture_transcripts.values())
    return dict(zip(fixture_transcripts, segmenter.segment_many(trs)))


@pytest.fixture(scope="session")
def sample_transcripts():
    from lccode.ingest import discover, read_transcript

    return [read_transcript(p, m) for p, m in discover([SAMPLE])]


@pytest.fixture(scope="session")
def sample_segments(sample_transcripts, segmenter):
    return segmenter.segment_many(sample_transcripts)


@pytest.fixture(scope="session")
def sample_workspace(tmp_path_factory):
    """A workspace holding the whole sample corpus; tests must not change it."""
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths

    ws = Workspace.create(tmp_path_factory.mktemp("sample") / "ws")
    add_paths(ws, [SAMPLE])
    yield ws
    ws.close()


@pytest.fixture
def workspace(tmp_path):
    """A fresh, empty workspace with the bundled codebook."""
    from lccode.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def copy_files(tmp_path):
    """Copy fixture files into a new folder (no manifest unless one is copied); returns the folder."""
    counter = iter(range(1000))

    def copy(*paths: Path, folder: str | None = None) -> Path:
        dest = tmp_path / (folder or f"files{next(counter)}")
        dest.mkdir(parents=True, exist_ok=True)
        for p in paths:
            shutil.copy(p, dest / p.name)
        return dest

    return copy


def snapshot(ws) -> dict[str, list[tuple]]:
    """Every row of every workspace table, in a stable order, for before/after comparisons."""
    return ws.dump()


def db_snapshot(root: Path) -> dict[str, list[tuple]]:
    """`snapshot` of the workspace at `root`, through a connection of its own (not `Workspace.open`, which would
    mark runs interrupted and so could change what it is asked to compare)."""
    from lccode.workspace import DB_NAME, db

    conn = db.connect(root / DB_NAME)
    try:
        return db.dump(conn)
    finally:
        conn.close()


@pytest.fixture
def snap():
    """`snapshot(ws)`: every row of every table of an open workspace."""
    return snapshot


@pytest.fixture
def db_snap():
    """`db_snapshot(root)`: every row of every table of the workspace folder `root`."""
    return db_snapshot


@pytest.fixture
def cli(monkeypatch, capsys):
    """Run `lccode ARGS...` in-process through the real entry point; returns (exit code, stdout, stderr).

    In-process keeps the suite fast (spaCy is imported once); `main()` is what the installed script runs, so
    the error path (message, exit code 2) is the real one.
    """
    from lccode.cli import main

    monkeypatch.setenv("COLUMNS", "250")  # rich wraps at the terminal width; keep messages on one line

    def run(*args) -> tuple[int, str, str]:
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", ["lccode", *map(str, args)])
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return run


# -- models: the real offline base and one tiny real fine-tune per session (tests marked slow use them) ----------
@pytest.fixture(scope="session")
def base_dir():
    from lccode.model.provision import default_base_dir, provision

    return provision(default_base_dir())


@pytest.fixture(scope="session")
def codebook():

    return load_codebook()


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory, base_dir, codebook):
    """A real fine-tune on a small slice of the bundled data: one epoch, top layer only, short inputs."""
    from lccode.gold import load_examples
    from lccode.model.trainer import train
    from lccode.model.training_args import TrainConfig

    gold = REPO / "training_data" / "transcripts"
    examples = load_jsonl(REPO / "training_data" / "train.jsonl", codebook.code_ids)[:120]
    examples += load_examples(gold / "train" / "nl-gaserop-int-ruben.json", codebook.code_ids)[:60]
    dev = load_jsonl(REPO / "training_data" / "dev.jsonl", codebook.code_ids)[:40]
    dev += load_examples(gold / "dev" / "en-textiel-int-designer.json", codebook.code_ids)[:40]
    out = tmp_path_factory.mktemp("model") / "tiny"
    cfg = TrainConfig(name="tiny", epochs=1, batch_size=16, max_length=48, trainable_layers=1, device="cpu")
    meta = train(cfg, codebook, examples, out, dev_examples=dev)
    return out, meta, dev

"""Fixtures for the export tests; the data behind them is in tests/export/export_data.py."""

from __future__ import annotations

import pytest

from lccode.workspace import Workspace
from tests.export.export_data import make_workspace


@pytest.fixture(scope="session")
def template_ws(tmp_path_factory):
    """Built once per run; each test gets its own copy, so tests may change it."""
    root = tmp_path_factory.mktemp("template") / "ws"
    ws, keys = make_workspace(root)
    ws.close()
    return root, keys


@pytest.fixture
def ws(template_ws, tmp_path):
    import shutil

    root, keys = template_ws
    shutil.copytree(root, tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    ws.keys = keys
    yield ws
    ws.close()


@pytest.fixture
def summary(ws):
    from lccode.aggregate import load_corpus, summarize

    corpus = load_corpus(ws)
    return corpus, summarize(corpus)

"""Fixtures for the review tests: a small workspace built from two real transcripts, coded by hand.

Test modules import the data and helpers from tests.review.review_data, never from this conftest (the name
`conftest` is shared with other test folders).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.review.review_data import BASE, SEGMENTS, TOKEN, insert_predictions, write_corpus


@pytest.fixture(scope="session")
def template_ws(tmp_path_factory) -> Path:
    """Built once per session (segmenting loads spaCy); each test gets a copy."""
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths

    base = tmp_path_factory.mktemp("review-template")
    corpus = write_corpus(base / "corpus")
    ws = Workspace.create(base / "ws")
    add_paths(ws, [corpus])
    assert len(ws.segments()) == len(SEGMENTS), [s.text for s in ws.segments()]
    ws.checkpoint()
    ws.close()
    return base / "ws"


@pytest.fixture(scope="session")
def template_coded_ws(template_ws, tmp_path_factory) -> Path:
    from lccode.workspace import Workspace

    dest = tmp_path_factory.mktemp("review-coded") / "ws"
    shutil.copytree(template_ws, dest)
    ws = Workspace.open(dest)
    insert_predictions(ws, {text: probs for _, _, text, probs in SEGMENTS})
    ws.checkpoint()
    ws.close()
    return dest


@pytest.fixture
def ws_path(template_ws, tmp_path) -> Path:
    """A fresh copy of the uncoded fixture workspace."""
    dest = tmp_path / "ws"
    shutil.copytree(template_ws, dest)
    return dest


@pytest.fixture
def coded_ws_path(template_coded_ws, tmp_path) -> Path:
    """A fresh copy of the fixture workspace, coded (test predictions) by MODEL_ID."""
    dest = tmp_path / "ws"
    shutil.copytree(template_coded_ws, dest)
    return dest


@pytest.fixture
def coded_ws(coded_ws_path):
    from lccode.workspace import Workspace

    ws = Workspace.open(coded_ws_path)
    yield ws
    ws.close()


@pytest.fixture
def client(coded_ws_path):
    """A TestClient with the session token cookie set and analyst 'Anna' signed in."""
    from fastapi.testclient import TestClient

    from lccode.review.app import create_app

    c = TestClient(create_app(coded_ws_path, TOKEN), base_url=BASE)
    assert c.get(f"/analyst?token={TOKEN}").status_code == 200
    c.post("/analyst", data={"name": "Anna", "next": "/review"}, follow_redirects=False)
    return c

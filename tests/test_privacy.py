"""Interview text is personal data: it never appears in log messages at INFO or above."""

from __future__ import annotations

import logging
from pathlib import Path

from lccode.workspace import Workspace
from lccode.workspace.add import add_paths

REPO = Path(__file__).resolve().parents[1]


def test_ingest_logs_no_segment_text(tmp_path, caplog):
    ws = Workspace.create(tmp_path / "ws")
    with caplog.at_level(logging.INFO):
        add_paths(ws, [REPO / "corpus_sample"])
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    segments = ws.segments()
    assert len(segments) > 1000
    leaked = [s.text for s in segments if len(s.text) > 20 and s.text in logged]
    assert leaked == []
    assert "added 8" in logged  # the log does say what happened, in counts

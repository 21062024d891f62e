"""Every case of the hostile-input corpus through the real command line: a refused input gives exit code 2, one
clear message (no traceback) and an unchanged workspace; an accepted one is stored with exact spans; none takes
more than a few seconds."""

from __future__ import annotations

import re
import time

import pytest

from tests.hostile.corpus import CASES

LIMIT_S = 10  # the probe's bar for a hang


@pytest.fixture(scope="module")
def empty_ws(tmp_path_factory):
    from lccode.workspace import Workspace

    root = tmp_path_factory.mktemp("hostile") / "ws"
    Workspace.create(root).close()
    return root


def _counts(root) -> tuple[int, int]:
    from lccode.workspace import Workspace

    ws = Workspace.open(root)
    try:
        st = ws.status()
        return st["transcripts"], st["segments"]
    finally:
        ws.close()


@pytest.mark.parametrize("case", [c for c in CASES if c.refused], ids=lambda c: c.id)
def test_refused_with_one_message_exit_2_and_nothing_stored(case, tmp_path, empty_ws, cli):
    import shutil

    folder = tmp_path / "in"
    folder.mkdir()
    case.build(folder)
    ws = tmp_path / "ws"
    shutil.copytree(empty_ws, ws)
    t0 = time.perf_counter()
    if case.kind == "codebook":
        code, out, err = cli("codebook", "validate", folder / "codebook.yaml")
    else:
        code, out, err = cli("add", "-w", ws, folder)
    elapsed = time.perf_counter() - t0
    assert elapsed < LIMIT_S, f"{case.id} took {elapsed:.1f} s"
    assert code == 2, (code, out, err)
    assert "Traceback" not in err and ("\n" + err).count("\nError: ") == 1, err
    assert re.search(case.refused, " ".join(err.split()), re.S), err
    assert "expected:" in err or "fix:" in err, err  # says what was expected or how to fix it
    assert _counts(ws) == (0, 0)
    assert "OK:" not in out


@pytest.mark.parametrize("case", [c for c in CASES if not c.refused], ids=lambda c: c.id)
def test_accepted_and_stored_with_exact_spans(case, tmp_path):
    from lccode.codebook import load_codebook
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths

    folder = tmp_path / "in"
    folder.mkdir()
    case.build(folder)
    t0 = time.perf_counter()
    if case.kind == "codebook":
        cb = load_codebook(folder / "codebook.yaml")
        assert cb.version == "9" * 5000 and cb.code_ids
    else:
        ws = Workspace.create(tmp_path / "ws")
        results = add_paths(ws, [folder])
        segments = ws.segments()
        assert results and segments
        texts = {tid: ws.transcript_text(tid) for tid in {s.transcript_id for s in segments}}  # one read each
        for s in segments:
            assert texts[s.transcript_id][s.start_char:s.end_char] == s.text
        ws.close()
    elapsed = time.perf_counter() - t0
    assert elapsed < LIMIT_S, f"{case.id} took {elapsed:.1f} s"


def test_a_turn_over_spacy_s_limit_is_split_not_refused(tmp_path):
    """A 1.5-million-character turn (spaCy refuses documents over 1,000,000) becomes ordinary sentences."""
    from lccode.ingest import read_transcript
    from lccode.segment import MAX_DOC_CHARS, Segmenter, chunks
    from tests.hostile.corpus import prose

    text = "R: " + prose(1_500_000)
    (tmp_path / "t.txt").write_text(text, encoding="utf-8")
    tr = read_transcript(tmp_path / "t.txt")
    assert len(tr.turns) == 1 and tr.turns[0].end_char - tr.turns[0].start_char > 1_000_000
    pieces = chunks(tr.text, tr.turns[0].start_char, tr.turns[0].end_char)
    assert len(pieces) >= 15 and all(b - a <= MAX_DOC_CHARS for a, b in pieces)
    assert all(tr.text[b - 2:b] == ". " for _, b in pieces[:-1])  # cut after a sentence end
    segs = Segmenter().segment(tr)
    assert max(len(s.text) for s in segs) < 200  # sentences, not a 100,000-character piece
    assert all(tr.text[s.start_char:s.end_char] == s.text for s in segs)


def test_corpus_size():
    """The README states the corpus size; keep the two in step."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"{len(CASES)} hostile inputs" in readme

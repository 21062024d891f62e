"""The model commands end to end through the real entry point, on the tiny real fine-tune (slow)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture
def small_corpus(tmp_path):
    """Two sample transcripts with their manifest rows."""
    src = REPO / "corpus_sample"
    dest = tmp_path / "corpus"
    dest.mkdir()
    rows = (src / "manifest.csv").read_text(encoding="utf-8").splitlines()
    keep = [r for r in rows[1:] if r.startswith(("nl_gaserop_installateur.txt", "en_bouwcampus_session3.srt"))]
    (dest / "manifest.csv").write_text("\n".join([rows[0], *keep]) + "\n", encoding="utf-8")
    for r in keep:
        shutil.copy(src / r.split(",")[0], dest)
    return dest


def test_sample_runs_the_main_job_with_a_given_model(tiny_model, small_corpus, tmp_path, cli):
    ws = tmp_path / "lc-sample"
    code, out, err = cli("sample", "-w", ws, "--corpus", small_corpus, "--model", tiny_model[0], "--device", "cpu")
    assert code == 0, err
    assert "Using the model in" in out and "Coded " in out and "Segments per code" in out
    for name in ("report-en.html", "coded-en.xlsx", "project-en.qdpx"):
        assert (ws / "exports" / name).is_file()
    code, out, _ = cli("sample", "-w", ws, "--corpus", small_corpus, "--model", tiny_model[0], "--device", "cpu",
                       "--no-exports")
    assert code == 0 and "already coded by this model" in out


def test_code_then_evaluate_transcripts_from_the_command_line(tiny_model, small_corpus, tmp_path, cli):
    ws = tmp_path / "ws"
    assert cli("init", ws)[0] == 0
    assert cli("add", "-w", ws, small_corpus)[0] == 0
    code, out, err = cli("code", "-w", ws, "--model", tiny_model[0], "--device", "cpu")
    assert code == 0, err
    report = tmp_path / "eval.json"
    code, out, err = cli("evaluate", REPO / "tests" / "fixtures" / "gold", "--model", tiny_model[0], "--device", "cpu",
                         "--json", report)
    assert code == 0, err
    assert "Per speaker turn" in out and "Turns: micro-F1" in out
    rep = json.loads(report.read_text())
    assert rep["turns"]["n"] == 3 and rep["provenance"]["gold_kind"] == "transcripts"  # "Mm-hm." is no segment


def test_evaluate_needs_exactly_one_gold_source(tiny_model, tmp_path, cli):
    code, out, err = cli("evaluate", "--model", tiny_model[0])
    assert code == 2 and "either a gold file or --workspace" in out + err


def test_train_from_the_command_line_writes_a_model_and_card(tmp_path, cli, base_dir):
    data = tmp_path / "train.jsonl"
    rows = [json.loads(x) for x in (REPO / "training_data" / "train.jsonl").read_text(encoding="utf-8").splitlines()[:60]]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out_dir = tmp_path / "m"
    code, out, err = cli("train", "--data", data, "--dev", REPO / "tests" / "fixtures" / "gold" / "meeting.json",
                         "-o", out_dir, "--epochs", "1", "--trainable-layers", "1", "--device", "cpu", "--name", "cli-tiny")
    assert code == 0, err
    meta = json.loads((out_dir / "lccode.json").read_text())
    assert meta["name"] == "cli-tiny" and meta["dev_transcripts"] == 1 and "Saved cli-tiny@" in out

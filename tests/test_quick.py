"""Quick retraining: training units over transcripts, and (slow) a real quick retrain of a workspace with a tiny model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lccode.errors import LccodeError
from lccode.model.quick import QuickConfig, blocks, sample_units, windows
from lccode.records import Position

REPO = Path(__file__).resolve().parents[1]


def transcript(doc, turns):
    """Positions for sentences per turn, e.g. turns=[2, 1, 3] -> 6 rows."""
    return [Position(doc, t, "respondent" if t % 2 else "interviewer", "interview") for t, n in enumerate(turns) for _ in range(n)]


def test_units_hold_whole_turns_led_by_the_previous_turn():
    pos = transcript("a", [2, 1, 3, 1, 2])  # rows 0-1 | 2 | 3-5 | 6 | 7-8
    w = [0, 0, 0, 1, 0, 0, 0, 0, 1]
    units = windows(pos, w, turns=2)
    # turns 0-1 carry no decision: dropped; turns 2-3 led by turn 1; turn 4 led by turn 3
    assert units == [([2, 3, 4, 5, 6], [0.0, 1.0, 0.0, 0.0, 0.0]), ([6, 7, 8], [0.0, 0.0, 1.0])]


def test_excerpts_are_grouped_and_documents_kept_apart():
    pos = [Position()] * 20 + transcript("b", [1, 1]) + transcript("c", [1])
    units = windows(pos, [1.0] * 23, turns=4)
    assert [u for u, _ in units] == [[20, 21], [22], list(range(16)), [16, 17, 18, 19]]


def test_replay_sample_takes_whole_units_until_enough_rows():
    import random

    units = [([i, i + 1], [0.0, 1.0]) for i in range(0, 100, 2)]
    picked = sample_units(units, 10, random.Random(0))
    assert len(picked) == 10 and all(u in units for u in picked)
    assert sample_units(units, 10, random.Random(0)) == picked  # a seed gives the same sample


def test_blocks_carry_the_rows_of_their_unit():
    pooled = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.eye(6, 3, dtype=np.float32)
    pos = transcript("a", [3, 3])
    (blk,) = blocks(pooled, pos, y, [([3, 4], [1.0, 0.0])])
    assert blk.pooled.tolist() == [[6, 7], [8, 9]] and blk.positions == (pos[3], pos[4]) and blk.weights.tolist() == [1, 0]


def test_options_are_checked():
    with pytest.raises(LccodeError, match="epochs must be at least 1"):
        QuickConfig(epochs=0)


# -- a real quick retrain -----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_quick_retrain_learns_from_decisions_saves_a_model_and_recodes(tmp_path, tiny_model, codebook):
    from lccode.model.coding import code_workspace, positions_of
    from lccode.model.predict import Coder
    from lccode.review.queue import latest_code_run
    from lccode.review.retrain import retrain_workspace
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths
    from lccode.workspace.decisions import effective_codes, record_decision

    model_dir, meta, _ = tiny_model
    ws = Workspace.create(tmp_path / "ws")
    add_paths(ws, [REPO / "tests" / "fixtures" / "transcripts" / "en_roles_interview.txt"])
    code_workspace(ws, model_dir, "cpu")
    segs = ws.segments()
    decided = segs[:6]
    for s in decided:  # the analyst says every one of them is about reciprocity, a code the tiny model never proposes
        record_decision(ws, s.key, "Anna", ["sf_reciprocity"])
    before = ws.prediction(decided[0].key, meta["model_id"]).probs
    stages = []
    gold = REPO / "training_data" / "transcripts"
    out = retrain_workspace(ws.root, QuickConfig(epochs=3, replay=60, decision_weight=8.0), tmp_path / "quick",
                            progress=lambda stage, done, total: stages.append(stage),
                            train_files=[gold / "train" / "nl-gaserop-int-ruben.json"],
                            dev_files=[gold / "dev" / "en-textiel-int-designer.json"])
    assert stages[0] == "loading" and {"training", "calibrating", "saving", "coding"} <= set(stages)
    qmeta = json.loads((tmp_path / "quick" / "lccode.json").read_text())
    assert out["model_id"] == qmeta["model_id"] != meta["model_id"]
    assert qmeta["parent_model"] == meta["model_id"] and qmeta["decisions_used"] == 6 and qmeta["quick"]["segments_decided"] == 6
    assert qmeta["encoder"] == meta["encoder"]
    # the parent's encoder bit for bit, even where coding cast it to bf16 in memory
    assert (tmp_path / "quick" / "encoder-delta.safetensors").read_bytes() == (model_dir / "encoder-delta.safetensors").read_bytes()
    # the queue now follows the new model, every segment coded by it, from cached encoder outputs
    assert latest_code_run(Workspace.open(ws.root)).model_id == qmeta["model_id"] and out["coded"] == len(segs)
    assert list((ws.root / "cache").glob("pooled-*.npz"))
    after = ws.prediction(decided[0].key, qmeta["model_id"]).probs
    assert after["sf_reciprocity"] > before["sf_reciprocity"] + 0.05  # it learned from the decisions
    # the saved folder is a normal model: loaded afresh, it codes exactly as stored
    coder = Coder.load(tmp_path / "quick", codebook, "cpu")
    kinds = {t.id: t.kind for t in ws.transcripts()}
    probs = coder.probabilities([s.text for s in segs], positions=positions_of(segs, kinds))
    stored = {k: p.probs for k, p in ws.predictions(qmeta["model_id"]).items()}
    assert np.allclose([[stored[s.key][c] for c in coder.labels] for s in segs], probs, atol=2e-3)
    # human decisions stay final
    eff = effective_codes(ws)
    assert all(eff[s.key].source == "analyst" and eff[s.key].codes == ("sf_reciprocity",) for s in decided)

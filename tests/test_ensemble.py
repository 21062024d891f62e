"""Ensembles: seeded runs whose logits are averaged, sharing the frozen lower layers; saved as member folders."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from lccode.errors import ModelError

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

TEXTS = ["Marieke vroeg eerst aan de stille mensen wat zij ervan vonden.",
         "We had no time at all, the orders just kept coming in.", "Coffee is in the back.",
         "De warmtepomp hing er binnen een dag, maar de uitleg aan de klant kostte ons een week."]


@pytest.fixture(scope="module")
def tiny_ensemble(tmp_path_factory, base_dir, codebook):
    """Two members (seeds 13 and 14) of the tiny recipe in tests/conftest.py, trained by one `train` call."""
    from lccode.data import load_jsonl
    from lccode.gold import load_examples
    from lccode.model.trainer import train
    from lccode.model.training_args import TrainConfig

    gold = REPO / "training_data" / "transcripts"
    examples = load_jsonl(REPO / "training_data" / "train.jsonl", codebook.code_ids)[:80]
    examples += load_examples(gold / "train" / "nl-gaserop-int-ruben.json", codebook.code_ids)[:40]
    dev = load_jsonl(REPO / "training_data" / "dev.jsonl", codebook.code_ids)[:30]
    dev += load_examples(gold / "dev" / "en-textiel-int-designer.json", codebook.code_ids)[:30]
    out = tmp_path_factory.mktemp("ens") / "pair"
    events = []
    cfg = TrainConfig(name="pair", epochs=1, batch_size=16, max_length=48, trainable_layers=1, device="cpu", members=2)
    meta = train(cfg, codebook, examples, out, dev_examples=dev, progress=lambda kind, **info: events.append((kind, info)))
    return out, meta, dev, events


def test_members_are_saved_as_model_folders_under_one_checksum(tiny_ensemble):
    from lccode.model.ensemble import joint_digest

    out, meta, _, events = tiny_ensemble
    assert [e["seed"] for e in meta["ensemble"]["members"]] == [13, 14]
    assert meta["encoder"] == {"format": "ensemble"} and meta["config"]["members"] == 2
    assert meta["ensemble"]["shared_layers"] == 11  # one trained layer of twelve: the other eleven run once
    assert [i for k, i in events if k == "member"] == [{"index": 1, "of": 2}, {"index": 2, "of": 2}]
    digests = []
    for entry in meta["ensemble"]["members"]:
        own = json.loads((out / entry["path"] / "lccode.json").read_text())
        assert own["encoder"]["format"] == "delta" and own["seed"] == entry["seed"]
        assert own["weights_sha256"] == entry["weights_sha256"]
        digests.append(own["weights_sha256"])
    assert digests[0] != digests[1]  # different seeds, different members
    assert meta["weights_sha256"] == joint_digest(digests) and meta["model_id"] == f"pair@{meta['weights_sha256'][:12]}"
    # the review order is fitted to what the ensemble computes, so only the ensemble carries one
    assert "review_model" in meta and "review_model" not in json.loads((out / "member-1" / "lccode.json").read_text())


def test_ensemble_codes_with_the_mean_of_its_members_logits(tiny_ensemble, codebook):
    """The shared lower layers run once, and the result equals each member run alone, averaged."""
    from lccode.model.predict import Coder, batch_logits, sigmoid
    from lccode.model.storage import load_model
    from lccode.records import Position

    out, meta, _, _ = tiny_ensemble
    coder = Coder.load(out, codebook, "cpu", precision="fp32")
    assert coder.model.shared_layers == 11
    pos = [Position("d", 0, "interviewee", "interview")] * 2 + [Position("d", 1, "interviewer", "interview")] * 2
    probs = coder.probabilities(TEXTS, positions=pos)
    place = coder.placement
    alone = []
    for entry in meta["ensemble"]["members"]:
        model, tok, _ = load_model(out / entry["path"], codebook)
        alone.append(batch_logits(model, tok, TEXTS, place, max_length=48, positions=pos))
    expected = sigmoid(np.mean(alone, axis=0) / meta["temperature"])
    assert np.allclose(probs, expected, atol=1e-5)
    assert not np.allclose(sigmoid(alone[0] / meta["temperature"]), expected, atol=1e-3)


def test_reloaded_ensemble_reproduces_its_dev_figures(tiny_ensemble, codebook):
    from lccode.data import label_matrix
    from lccode.model.metrics import multilabel_report
    from lccode.model.predict import Coder

    out, meta, dev, _ = tiny_ensemble
    coder = Coder.load(out, codebook, "cpu")
    probs = coder.probabilities([e.text for e in dev], positions=[e.position for e in dev])
    rep = multilabel_report(label_matrix(dev, codebook.code_ids), coder.decide(probs), codebook.code_ids)
    assert rep["micro_f1"] == pytest.approx(meta["dev_metrics"]["micro_f1"], abs=1e-3)


def test_a_damaged_or_missing_member_is_refused(tiny_ensemble, codebook, tmp_path):
    from lccode.model.storage import load_model

    damaged = tmp_path / "damaged"
    shutil.copytree(tiny_ensemble[0], damaged)
    with open(damaged / "member-2" / "head.safetensors", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    with pytest.raises(ModelError, match="do not match the checksum"):
        load_model(damaged, codebook)
    missing = tmp_path / "missing"
    shutil.copytree(tiny_ensemble[0], missing)
    shutil.rmtree(missing / "member-2")
    with pytest.raises(ModelError, match="member folder member-2 is missing"):
        load_model(missing, codebook)
    swapped = tmp_path / "swapped"  # a member replaced by another valid model is caught by the joint checksum
    shutil.copytree(tiny_ensemble[0], swapped)
    shutil.rmtree(swapped / "member-2")
    shutil.copytree(swapped / "member-1", swapped / "member-2")
    with pytest.raises(ModelError, match="members do not match"):
        load_model(swapped, codebook)


def test_pooled_cache_key_follows_the_members_encoders(tiny_ensemble):
    from lccode.model.pooled import encoder_key
    from lccode.model.storage import read_meta

    out, meta, _, _ = tiny_ensemble
    key = encoder_key(out, meta)
    members = [encoder_key(out / e["path"], read_meta(out / e["path"])) for e in meta["ensemble"]["members"]]
    assert len(key) == 16 and key not in members and members[0] != members[1]


def test_joining_saved_models_checks_they_share_a_recipe(tiny_ensemble, tmp_path):
    from lccode.model.combine import combine

    out = tiny_ensemble[0]
    other = tmp_path / "other"
    shutil.copytree(out / "member-2", other)
    meta = json.loads((other / "lccode.json").read_text())
    meta["dev_data_hash"] = "0" * 64
    (other / "lccode.json").write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="differs from .* in 'dev_data_hash'"):
        combine([out / "member-1", other], tmp_path / "joined")
    with pytest.raises(ModelError, match="already an ensemble"):
        combine([out / "member-1", out], tmp_path / "joined")
    assert not (tmp_path / "joined").exists()


def test_joining_saved_members_gives_the_trained_ensemble(tiny_ensemble, codebook, tmp_path):
    """`combine` over the members of a trained ensemble, calibrated on their dev split, codes as the ensemble does."""
    from lccode.model.combine import combine
    from lccode.model.predict import Coder

    out, meta, dev, _ = tiny_ensemble
    joined = combine([out / "member-1", out / "member-2"], tmp_path / "joined", name="pair", dev_examples=dev)
    assert joined["joined_from"] == [m["model_id"] for m in
                                     (json.loads((out / e["path"] / "lccode.json").read_text())
                                      for e in meta["ensemble"]["members"])]
    a = Coder.load(out, codebook, "cpu", precision="fp32").probabilities(TEXTS)
    b = Coder.load(tmp_path / "joined", codebook, "cpu", precision="fp32").probabilities(TEXTS)
    assert joined["temperature"] == pytest.approx(meta["temperature"], abs=2e-3)
    assert np.allclose(a, b, atol=2e-3)


def test_joining_members_trained_on_different_data_records_each(tiny_ensemble, codebook, tmp_path):
    """A member trained after more data was written may join; the ensemble and its card say what each one saw."""
    from lccode.model.combine import combine

    out, meta, dev, _ = tiny_ensemble
    later = tmp_path / "later"
    shutil.copytree(out / "member-2", later)
    m2 = json.loads((later / "lccode.json").read_text())
    m2 |= {"train_data_hash": "f" * 64, "train_examples": m2["train_examples"] + 40,
           "check_metrics": {"excerpts": {"n": 1, "micro_f1": 1.0}}}  # measured on that run alone
    (later / "lccode.json").write_text(json.dumps(m2))
    joined = combine([out / "member-1", later], tmp_path / "joined", name="pair", dev_examples=dev)
    first = json.loads((out / "member-1" / "lccode.json").read_text())
    assert [r["train_data_hash"] for r in joined["train_data"]] == [first["train_data_hash"], "f" * 64]
    assert joined["train_examples"] == m2["train_examples"]
    # figures measured on one run alone are not the ensemble's, even when that run comes first
    assert "check_metrics" not in combine([later, out / "member-1"], tmp_path / "reversed", name="pair", dev_examples=dev)
    assert json.loads((tmp_path / "joined" / "member-2" / "lccode.json").read_text())["train_data_hash"] == "f" * 64
    card = (tmp_path / "joined" / "README.md").read_text()
    assert f"member 1: {first['train_examples']} segments" in card and f"member 2: {m2['train_examples']} segments" in card
    assert "`ffffffffffffffff`" in card
    # a saved member's own seed, not the first member's (which its config once inherited)
    assert [e["seed"] for e in joined["ensemble"]["members"]] == [13, 14]
    assert json.loads((tmp_path / "joined" / "member-2" / "lccode.json").read_text())["config"]["seed"] == 14
    assert "seeds 13, 14" in card and "Each member was trained as `lccode train --seed N`" in card
    # The mixed ensemble's members record only their own data; re-joined with a run of the same data, no stale list.
    assert "train_data" not in json.loads((tmp_path / "joined" / "member-2" / "lccode.json").read_text())
    again = combine([tmp_path / "joined" / "member-2", later], tmp_path / "again", name="pair", dev_examples=dev)
    assert "train_data" not in again and again["train_data_hash"] == "f" * 64
    assert "members trained on different data" not in (tmp_path / "again" / "README.md").read_text()


def test_quick_retrain_of_an_ensemble_trains_every_members_heads(tiny_ensemble, codebook, tmp_path):
    from lccode.model.coding import code_workspace, positions_of
    from lccode.model.predict import Coder
    from lccode.model.quick import QuickConfig
    from lccode.review.retrain import retrain_workspace
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths
    from lccode.workspace.decisions import record_decision

    out, meta, _, _ = tiny_ensemble
    ws = Workspace.create(tmp_path / "ws")
    add_paths(ws, [REPO / "tests" / "fixtures" / "transcripts" / "en_roles_interview.txt"])
    code_workspace(ws, out, "cpu")
    segs = ws.segments()
    for s in segs[:6]:
        record_decision(ws, s.key, "Anna", ["sf_reciprocity"])
    before = ws.prediction(segs[0].key, meta["model_id"]).probs
    gold = REPO / "training_data" / "transcripts"
    res = retrain_workspace(ws.root, QuickConfig(epochs=3, replay=60, decision_weight=8.0), tmp_path / "quick",
                            train_files=[gold / "train" / "nl-gaserop-int-ruben.json"],
                            dev_files=[gold / "dev" / "en-textiel-int-designer.json"])
    qmeta = json.loads((tmp_path / "quick" / "lccode.json").read_text())
    assert qmeta["parent_model"] == meta["model_id"] and qmeta["encoder"] == {"format": "ensemble"}
    assert [e["seed"] for e in qmeta["ensemble"]["members"]] == [13, 14]
    for i, entry in enumerate(qmeta["ensemble"]["members"]):  # same encoders (deltas), new heads
        assert (tmp_path / "quick" / entry["path"] / "encoder-delta.safetensors").read_bytes() == \
               (out / meta["ensemble"]["members"][i]["path"] / "encoder-delta.safetensors").read_bytes()
        assert entry["weights_sha256"] != meta["ensemble"]["members"][i]["weights_sha256"]
    after = ws.prediction(segs[0].key, qmeta["model_id"]).probs
    assert res["coded"] == len(segs) and after["sf_reciprocity"] > before["sf_reciprocity"] + 0.05
    coder = Coder.load(tmp_path / "quick", codebook, "cpu")
    kinds = {t.id: t.kind for t in ws.transcripts()}
    probs = coder.probabilities([s.text for s in segs], positions=positions_of(segs, kinds))
    stored = {k: p.probs for k, p in ws.predictions(qmeta["model_id"]).items()}
    assert np.allclose([[stored[s.key][c] for c in coder.labels] for s in segs], probs, atol=2e-3)

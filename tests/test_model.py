"""The classifier on the real offline base model: provisioning, a short real fine-tune, save/reload, devices."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from lccode.codebook import load_codebook
from lccode.errors import LccodeError, ModelError

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


# base_dir, codebook and tiny_model are session fixtures in tests/conftest.py (test_quick.py shares the model).


def test_provisioned_folder_loads_offline_and_matches_its_checksum(base_dir):
    from lccode.model.provision import PROVENANCE, file_sha256, is_provisioned

    info = json.loads((base_dir / PROVENANCE).read_text())
    assert is_provisioned(base_dir)
    assert file_sha256(base_dir / "model.safetensors") == info["weights_sha256"]
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    import subprocess
    import sys

    code = ("from transformers import AutoModel, AutoTokenizer; import sys;"
            f"t = AutoTokenizer.from_pretrained(r'{base_dir}'); m = AutoModel.from_pretrained(r'{base_dir}');"
            "ids = t('query: De installateurs leren van elkaar.')['input_ids'];"
            "print(ids[0], ids[-1], m.config.hidden_size, sum(p.numel() for p in m.parameters()))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out[:3] == ["0", "2", "384"]  # <s> ... </s>, e5-small width
    assert int(out[3]) > 117_000_000


def test_dequantised_weights_follow_the_q4_0_layout():
    from lccode.model.provision import dequantize_q4_0

    d = np.float16(0.5).tobytes()
    qs = bytes(j | ((15 - j) << 4) for j in range(16))  # low nibble: weight j, high nibble: weight j+16
    vals = dequantize_q4_0(d + qs, 32)
    assert vals[0] == (0 - 8) * 0.5 and vals[15] == (15 - 8) * 0.5
    assert vals[16] == (15 - 8) * 0.5 and vals[31] == (0 - 8) * 0.5
    assert len(dequantize_q4_0(d + qs, 20)) == 20


def test_encoder_gives_cross_lingual_embeddings(base_dir):
    """A Dutch sentence is closer to its English translation than to an unrelated English sentence."""
    import torch

    from lccode.model.modeling import LcClassifier, load_encoder

    enc, tok = load_encoder(base_dir)
    model = LcClassifier(enc, 1).eval()
    texts = ["query: We hebben samen met de school een nieuwe cursus over warmtepompen gemaakt.",
             "query: Together with the school we made a new course about heat pumps.",
             "query: The weather in Enschede was terrible last weekend."]
    b = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        e = torch.nn.functional.normalize(model.pooled(b["input_ids"], b["attention_mask"]), dim=-1)
    assert float(e[0] @ e[1]) > float(e[0] @ e[2]) + 0.05


def test_split_forward_equals_full_forward(base_dir):
    import torch

    from lccode.model.modeling import new_model

    model, tok = new_model(base_dir, ["a", "b", "c"])
    model.eval()
    b = tok(["query: kort", "query: een wat langere zin over de learning community"], padding=True, return_tensors="pt")
    with torch.no_grad():
        full = model(b["input_ids"], b["attention_mask"])
        split = model.upper(model.lower(b["input_ids"], b["attention_mask"], 9), b["attention_mask"], 9)
    assert torch.allclose(full, split, atol=1e-5)


def test_trained_model_records_provenance_and_codebook_labels(tiny_model, codebook):
    folder, meta = tiny_model[:2]
    saved = json.loads((folder / "lccode.json").read_text())
    assert saved["labels"] == codebook.code_ids
    assert saved["codebook_hash"] == codebook.hash
    assert saved["model_id"].startswith("tiny@") and len(saved["weights_sha256"]) == 64
    assert set(saved["thresholds"]) == set(codebook.code_ids)
    # Stored as what training changed: the top layer (fp16) over the provisioned base, named by its checksum.
    assert saved["encoder"]["format"] == "delta" and saved["encoder"]["dtype"] == "float16"
    assert not (folder / "model.safetensors").exists()
    assert (folder / "encoder-delta.safetensors").stat().st_size < 10_000_000
    assert saved["context"]["version"] == 1 and saved["dev_transcripts"] == 1
    assert "transcript_turns" in saved["dev_metrics"] and "excerpts" in saved["dev_metrics"]
    card = (folder / "README.md").read_text()
    assert card.startswith("# tiny") and "dev, transcript turns" in card


def test_reloaded_model_gives_the_probabilities_it_was_calibrated_with(tiny_model, codebook):
    """The dev figures in lccode.json are recomputed from the reloaded model: what was tuned is what is stored."""
    from lccode.data import label_matrix
    from lccode.model.metrics import multilabel_report
    from lccode.model.predict import Coder

    folder, meta, dev = tiny_model
    coder = Coder.load(folder, codebook, "cpu")
    probs = coder.probabilities([e.text for e in dev], positions=[e.position for e in dev])
    rep = multilabel_report(label_matrix(dev, codebook.code_ids), coder.decide(probs), codebook.code_ids)
    assert rep["micro_f1"] == pytest.approx(meta["dev_metrics"]["micro_f1"], abs=1e-3)


def test_damaged_delta_is_refused(tiny_model, codebook, tmp_path):
    import shutil

    from lccode.model.storage import load_model

    copy = tmp_path / "damaged"
    shutil.copytree(tiny_model[0], copy)
    with open(copy / "head.safetensors", "r+b") as f:
        f.seek(-8, 2)
        f.write(b"\x01\x02\x03\x04\x05\x06\x07\x08")
    with pytest.raises(ModelError, match="do not match the checksum"):
        load_model(copy, codebook)


def test_context_changes_what_a_sentence_means(tiny_model, codebook):
    """The same sentence is scored differently after another previous turn, and identically in the same place."""
    from lccode.model.predict import Coder
    from lccode.records import Position

    coder = Coder.load(tiny_model[0], codebook, "cpu", precision="fp32")
    target = "Last time you said nobody will ever give a warranty on reused steel."
    texts = ["And I want to push back a little.", target]
    pos = [Position("m", 0, "facilitator", "meeting"), Position("m", 0, "facilitator", "meeting")]
    alone = coder.probabilities([target], positions=[Position("m", 0, "facilitator", "meeting")])
    together = coder.probabilities(texts, positions=pos)
    assert not np.allclose(alone[0], together[1])
    assert np.array_equal(together, coder.probabilities(texts, positions=pos))


def test_saved_model_reloads_to_identical_probabilities(tiny_model, codebook):
    from lccode.model.predict import Coder

    texts = ["Marieke vroeg eerst aan de stille mensen wat zij ervan vonden.",
             "We had no time at all, the orders just kept coming in.", "Coffee is in the back."]
    a = Coder.load(tiny_model[0], codebook, "cpu", precision="fp32").probabilities(texts)
    b = Coder.load(tiny_model[0], codebook, "cpu", precision="fp32").probabilities(texts)
    assert a.shape == (3, len(codebook.code_ids))
    assert np.array_equal(a, b)
    assert ((a > 0) & (a < 1)).all()


def test_batching_and_length_sorting_do_not_change_results(tiny_model, codebook):
    from lccode.model.predict import Coder

    coder = Coder.load(tiny_model[0], codebook, "cpu", precision="fp32")
    texts = ["Kort.", "Een veel langere zin, met bijzinnen, over hoe de mbo-docent en de installateurs samen leerden.",
             "Middle length sentence about the fieldlab."]
    together = coder.probabilities(texts, batch_size=3)
    one_by_one = np.vstack([coder.probabilities([t], batch_size=1) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-5)


def test_model_for_another_codebook_is_refused(tiny_model, tmp_path):
    import yaml

    from lccode.model.storage import load_model

    data = yaml.safe_load((REPO / "codebook" / "learning-communities.yaml").read_text())
    data["categories"][0]["codes"] = data["categories"][0]["codes"][1:]
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(ModelError, match="trained for codebook"):
        load_model(tiny_model[0], load_codebook(other))


def test_device_choice_is_honoured():
    import torch

    from lccode.model.device import resolve_device

    assert resolve_device("cpu").device.type == "cpu"
    assert resolve_device("cpu", "fp32").autocast is None
    auto = resolve_device("auto")
    assert auto.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(LccodeError, match="no usable CUDA GPU"):
            resolve_device("cuda")
    with pytest.raises(LccodeError, match="unknown device"):
        resolve_device("tpu-please")


def test_evaluate_whole_transcripts_reports_turns_and_unreliable_codes(tiny_model):
    from lccode.model.evaluate import evaluate

    gold = REPO / "tests" / "fixtures" / "gold"
    rep = evaluate(gold, tiny_model[0], "cpu")
    assert rep["transcripts"] == 1 and rep["turns"]["n"] == 3  # meeting.json only; its "Mm-hm." turn has no segment
    assert set(rep["turns"]["per_language"]) == {"en"}
    assert set(rep["unreliable"]) <= {"fm_challenging", "sf_interdependency"}
    assert rep["provenance"]["gold_kind"] == "transcripts"


def test_evaluate_against_workspace_decisions(tiny_model, tmp_path):
    from lccode.model.evaluate import evaluate_workspace
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths
    from lccode.workspace.decisions import record_decision

    ws = Workspace.create(tmp_path / "ws")
    src = tmp_path / "t.txt"
    src.write_text("Interviewer: Hoe ging het?\n\nR: We hadden geen tijd. De baas wilde er niet aan. Koffie?\n", encoding="utf-8")
    add_paths(ws, [src])
    segs = ws.segments()
    record_decision(ws, segs[1].key, "ann", ["bd_time_pressure"])
    record_decision(ws, segs[2].key, "ann", ["bd_parent_support"])
    Workspace.create(tmp_path / "ws-empty")
    with pytest.raises(LccodeError, match="no human decisions"):
        evaluate_workspace(tmp_path / "ws-empty", tiny_model[0], device="cpu")
    partial = evaluate_workspace(tmp_path / "ws", tiny_model[0], device="cpu")
    assert partial["n"] == 2 and "turns" not in partial  # the respondent's turn is only partly decided
    full = evaluate_workspace(tmp_path / "ws", tiny_model[0], complete=True, device="cpu")
    assert full["n"] == len(segs) and full["turns"]["n"] == 2
    assert full["turns"]["per_code"]["bd_time_pressure"]["support"] == 1


def test_coding_a_workspace_stores_probabilities_and_skips_on_rerun(tiny_model, tmp_path):
    from lccode.model.coding import code_workspace
    from lccode.workspace import Workspace
    from lccode.workspace.add import add_paths

    ws = Workspace.create(tmp_path / "ws")
    src = tmp_path / "t.txt"
    src.write_text("Interviewer: Hoe ging het?\n\nR: Nou, we hadden geen tijd. De baas wilde er niet aan.\n", encoding="utf-8")
    add_paths(ws, [src])
    first = code_workspace(ws, tiny_model[0], "cpu")
    assert first["segments"] == ws.status()["segments"] == 3
    stored = ws.predictions(tiny_model[1]["model_id"])
    assert len(stored) == 3 and all(set(p.probs) == set(ws.codebook().code_ids) for p in stored.values())
    again = code_workspace(ws, tiny_model[0], "cpu")
    assert again["segments"] == 0
    run = ws.code_run()
    assert run.model_id == tiny_model[1]["model_id"] and run.codebook_ref == ws.codebook().ref


def test_evaluate_reports_agreement_and_error_capture(tiny_model, tmp_path):
    from lccode.model.evaluate import evaluate

    gold = tmp_path / "gold.jsonl"
    rows = [{"text": "She always asked the quiet ones first what they thought.", "codes": ["fm_inviting"], "lang": "en"},
            {"text": "Koffie staat achterin.", "codes": [], "lang": "nl"},
            {"text": "We hadden gewoon geen tijd door de drukte.", "codes": ["bd_time_pressure"], "lang": "nl"}]
    gold.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    rep = evaluate(gold, tiny_model[0], "cpu")
    assert rep["n"] == 3 and set(rep["per_language"]) == {"en", "nl"}
    assert 0.0 <= rep["micro_f1"] <= 1.0 and "kappa" in rep["per_code"]["fm_inviting"]
    assert set(rep["error_capture"]["by_uncertainty"]) == {"5%", "10%", "20%", "50%"}
    assert rep["provenance"]["model_id"] == tiny_model[1]["model_id"]


def test_held_out_and_check_figures_go_into_the_model_and_its_card(tiny_model, tmp_path):
    """After training on the bundled data the test transcripts and the new-writer check set are scored, kept in
    lccode.json and shown in the card next to the dev figures."""
    import shutil

    from lccode.model.training_run import record_test

    folder = tmp_path / "m"
    shutil.copytree(tiny_model[0], folder)
    check = tmp_path / "check.jsonl"
    rows = [{"text": "Ze vroeg eerst de stille mensen wat zij ervan vonden.", "codes": ["fm_inviting"], "lang": "nl"},
            {"text": "The coffee is at the back.", "codes": [], "lang": "en"}]
    check.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    meta = record_test(folder, REPO / "tests" / "fixtures" / "gold", check)
    saved = json.loads((folder / "lccode.json").read_text())
    assert saved["check_metrics"]["excerpts"]["n"] == 2 and set(saved["check_metrics"]["excerpts"]["per_language"]) == {"en", "nl"}
    assert saved["test_metrics"]["turns"]["n"] == 3 and meta["check_metrics"]["gold_hash"] == saved["check_metrics"]["gold_hash"]
    card = (folder / "README.md").read_text()
    assert "| check, excerpts by new writers | 2 |" in card and "| check, excerpts by new writers (nl) | 1 |" in card
    assert "| test, transcript turns | 3 |" in card


def test_gold_file_with_unknown_code_is_refused_with_its_line(tiny_model, tmp_path):
    from lccode.model.evaluate import evaluate

    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"text": "ok", "codes": []}\n{"text": "x", "codes": ["sf_magic"]}\n', encoding="utf-8")
    with pytest.raises(LccodeError) as err:
        evaluate(gold, tiny_model[0], "cpu")
    assert "gold.jsonl:2" in str(err.value) and "sf_magic" in str(err.value)


@pytest.mark.gpu
@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_coding_matches_cpu(tiny_model, codebook):
    from lccode.model.predict import Coder

    texts = ["We leerden veel van elkaar.", "The facilitator summarised what we had said."]
    cpu = Coder.load(tiny_model[0], codebook, "cpu", precision="fp32").probabilities(texts)
    gpu = Coder.load(tiny_model[0], codebook, "cuda", precision="fp32").probabilities(texts)
    assert np.allclose(cpu, gpu, atol=1e-3)


# -- the light load for coding (lccode.model.fastload) ------------------------------------------------------------
def test_light_load_gives_the_transformers_probabilities_bit_for_bit(tiny_model, codebook, sample_segments):
    """Real sample segments, a text past max_length and a batch without padding: same ids, same probabilities."""
    from lccode.model.predict import Coder

    texts = [s.text for tr in sample_segments for s in tr][:150]
    texts += ["Een heel lange zin over de learning community, " * 40, "Kort.", "Kort."]
    for precision in ("fp32", "auto"):
        hf = Coder.load(tiny_model[0], codebook, "cpu", precision, light=False)
        light = Coder.load(tiny_model[0], codebook, "cpu", precision, light=True)
        assert type(light.model.encoder).__module__ == "lccode.model.fastload"
        assert type(hf.model.encoder).__module__.startswith("transformers")
        prefixed = ["query: " + t for t in texts]
        assert (light.tokenizer(prefixed, truncation=True, max_length=128)["input_ids"]
                == hf.tokenizer(prefixed, truncation=True, max_length=128)["input_ids"])
        assert light.tokenizer.pad_token_id == hf.tokenizer.pad_token_id
        assert np.array_equal(light.probabilities(texts), hf.probabilities(texts))
        assert np.array_equal(light.probabilities(["Kort.", "Kort."]), hf.probabilities(["Kort.", "Kort."]))


def test_coding_needs_no_transformers_import(tiny_model, codebook):
    import subprocess
    import sys

    code = ("import sys; from lccode.model.predict import Coder; from lccode.codebook import load_codebook;"
            f"c = Coder.load(r'{tiny_model[0]}', load_codebook(), 'cpu');"
            "p = c.probabilities(['We leerden veel van elkaar.']);"
            "print(p.shape[1], 'transformers' in sys.modules, 'torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(codebook.code_ids)), "False", "False"]


def test_mapped_safetensors_equal_the_stored_tensors(tmp_path):
    import torch
    from safetensors.torch import load_file, save_file

    from lccode.model.fastload import mmap_safetensors

    tensors = {"a": torch.randn(3, 5), "b": torch.arange(7, dtype=torch.int64), "c": torch.randn(4).half(),
               "empty": torch.zeros(0, 2)}
    save_file(tensors, str(tmp_path / "t.safetensors"))
    mapped = mmap_safetensors(tmp_path / "t.safetensors")
    for k, v in load_file(str(tmp_path / "t.safetensors")).items():
        assert mapped[k].dtype == v.dtype and torch.equal(mapped[k], v)
    mapped["a"].add_(1)  # copy-on-write: the file keeps its bytes
    assert torch.equal(load_file(str(tmp_path / "t.safetensors"))["a"], tensors["a"])


def test_coding_stores_every_chunk_from_its_storage_thread(tiny_model, sample_workspace, tmp_path):
    """Small chunks (several stored while the next is coded) store every segment with the same decisions as one
    chunk (probabilities agree to rounding: other chunks make other batches, and kernels round by shape)."""
    import shutil

    from lccode.model.coding import code_workspace
    from lccode.workspace import Workspace

    copies = []
    for name, chunk in (("one", 100_000), ("many", 200)):
        shutil.copytree(sample_workspace.root, tmp_path / name)
        ws = Workspace.open(tmp_path / name)
        stats = code_workspace(ws, tiny_model[0], "cpu", chunk=chunk)
        assert stats["segments"] == ws.status()["segments"] and stats["chunk"] == chunk
        assert stats["batch_size"] == 64 and 0 <= stats["padding_waste"] < 0.5
        copies.append({k: (p.probs, p.codes) for k, p in ws.predictions(tiny_model[1]["model_id"]).items()})
        ws.close()
    assert copies[0].keys() == copies[1].keys()
    one, many = ([c[k][0][code] for k in sorted(c) for code in c[k][0]] for c in copies)
    assert np.allclose(one, many, atol=1e-3)
    same = np.mean([copies[0][k][1] == copies[1][k][1] for k in copies[0]])
    assert same >= 0.995


def test_interrupted_coding_keeps_the_chunks_already_coded(tiny_model, sample_workspace, tmp_path):
    import shutil
    from collections import Counter

    from lccode.model.coding import code_workspace
    from lccode.workspace import Workspace

    shutil.copytree(sample_workspace.root, tmp_path / "ws")
    ws = Workspace.open(tmp_path / "ws")
    per_doc = Counter(s.transcript_id for s in ws.segments())
    first = per_doc[min(per_doc)]  # chunk=200 codes one sample transcript (200-400 segments) at a time, by id
    seen = []

    def stop_in_the_second_chunk(n):  # progress comes per batch; a chunk is stored when all of it is coded
        seen.append(n)
        if sum(seen) > first:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        code_workspace(ws, tiny_model[0], "cpu", progress=stop_in_the_second_chunk, chunk=200)
    stored = len(ws.predictions(tiny_model[1]["model_id"]))
    coded = Counter(s.transcript_id for s, _ in ws.coded_segments(tiny_model[1]["model_id"]))
    assert stored == first and coded == {min(per_doc): first}  # the first chunk, whole
    assert ws.runs()[-1].status == "interrupted"
    rest = code_workspace(ws, tiny_model[0], "cpu")
    assert rest["segments"] == ws.status()["segments"] - stored

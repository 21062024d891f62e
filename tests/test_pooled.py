"""The pooled-embedding cache: each text is encoded once per encoder, and what is stored is what was computed."""

import numpy as np

from lccode.model.pooled import PooledCache, encoder_key


def fake_encoder(calls):
    def compute(texts):
        calls.append(list(texts))
        return np.array([[len(t), t.count("e"), 1.5] for t in texts], dtype=np.float32)
    return compute


def test_only_missing_texts_are_encoded_and_order_is_kept(tmp_path):
    calls = []
    cache = PooledCache.open(tmp_path, "abc")
    a = cache.get(["een", "twee", "een"], fake_encoder(calls))
    assert calls == [["een", "twee"]]  # a repeated text is encoded once
    assert a[:, 0].tolist() == [3, 4, 3]
    b = cache.get(["twee", "drie"], fake_encoder(calls))
    assert calls[-1] == ["drie"] and b[:, 0].tolist() == [4, 4]


def test_saved_cache_is_read_back_exactly_and_only_for_the_same_settings(tmp_path):
    calls = []
    cache = PooledCache.open(tmp_path, "abc", "query: ", 64)
    first = cache.get(["Wij leerden veel van de monteurs."], lambda t: np.array([[0.123456789, -2.5, 3.0]], np.float32))
    cache.save()
    again = PooledCache.open(tmp_path, "abc", "query: ", 64)
    assert np.array_equal(again.get(["Wij leerden veel van de monteurs."], fake_encoder(calls)), first)
    assert calls == []
    other_length = PooledCache.open(tmp_path, "abc", "query: ", 128)  # other truncation: other vectors
    other_length.get(["Wij leerden veel van de monteurs."], fake_encoder(calls))
    assert len(calls) == 1
    assert PooledCache.open(tmp_path, "other-encoder").vectors == {}


def test_a_damaged_cache_file_starts_afresh(tmp_path):
    (tmp_path / "pooled-abc.npz").write_bytes(b"not a zip file")
    calls = []
    cache = PooledCache.open(tmp_path, "abc")
    cache.get(["x"], fake_encoder(calls))
    cache.save()
    assert calls == [["x"]] and len(PooledCache.open(tmp_path, "abc").vectors) == 1


def test_quick_models_share_their_parents_encoder_key(tmp_path):
    assert encoder_key(tmp_path, {"encoder_key": "parent-key", "weights_sha256": "f" * 64}) == "parent-key"
    full = {"encoder": {"format": "full"}, "weights_sha256": "ab" * 32}
    assert encoder_key(tmp_path, full) == ("ab" * 32)[:16]


def test_nothing_is_written_without_new_vectors(tmp_path):
    cache = PooledCache.open(tmp_path, "abc")
    cache.save()
    assert not list(tmp_path.iterdir())

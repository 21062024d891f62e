"""Cutting token-sorted texts into batches, and progress counted in pending segments (no model needed)."""

from __future__ import annotations

import numpy as np

from lccode.model.coding import _Share
from lccode.model.predict import plan_batches


def test_batches_cover_every_text_within_the_token_budget(sample_segments):
    lengths = np.sort([len(s.text.split()) + 2 for tr in sample_segments for s in tr])
    for batch_size in (1, 8, 64, 512):
        cuts = plan_batches(lengths, batch_size)
        assert cuts[0][0] == 0 and cuts[-1][1] == len(lengths)
        assert all(a[1] == b[0] for a, b in zip(cuts, cuts[1:]))
        for start, end in cuts:
            assert end - start <= batch_size
            # one over-long text is a batch of its own; otherwise rows x width stays within 32 tokens a row
            assert end - start == 1 or (end - start) * lengths[end - 1] <= batch_size * 32


def test_progress_counts_pending_segments_per_batch():
    got = []
    share = _Share(got.append, pending=30, rows=100)
    for n in (64, 36):
        share(n)
    share.finish()
    assert sum(got) == 30 and len(got) == 2
    none = []
    share = _Share(none.append, pending=0, rows=10)
    share(10)
    share.finish()
    assert sum(none) == 0


def test_excerpt_weight_weighs_excerpts_and_leaves_transcript_rows_and_context_alone():
    from lccode.data import Example
    from lccode.model.batching import windows

    ex = [Example("Vraag?", (), "nl", doc="a", turn=0, speaker="interviewer"),
          Example("Antwoord een.", ("sf_trust",), "nl", doc="a", turn=1, speaker="interviewee"),
          Example("Antwoord twee.", (), "nl", doc="a", turn=1, speaker="interviewee"),
          Example("Een los fragment.", ("out_learning",), "nl")]
    assert windows(ex, 1) == [([0], [1.0]), ([0, 1, 2], [0.0, 1.0, 1.0]), ([3], [1.0])]
    assert windows(ex, 1, excerpt_weight=2.5) == [([0], [1.0]), ([0, 1, 2], [0.0, 1.0, 1.0]), ([3], [2.5])]

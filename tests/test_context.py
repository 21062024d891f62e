"""Where a segment sits: neighbour indices, turn groups and features for the context head."""

from __future__ import annotations

import torch

from lccode.model.context import N_FEATURES, build_head, layout
from lccode.records import Position


def _rows():
    return [Position("a", 0, "interviewer", "interview"), Position("a", 1, "respondent", "interview"),
            Position("a", 1, "respondent", "interview"), Position("a", 1, "respondent", "interview"),
            Position(None, None, "facilitator", None), Position("b", 0, None, "meeting")]


def test_neighbours_stay_inside_the_turn_and_excerpts_stand_alone():
    lay = layout(_rows())
    assert lay.prev.tolist() == [-1, -1, 1, 2, -1, -1]
    assert lay.next.tolist() == [-1, 2, 3, -1, -1, -1]
    assert lay.group.tolist() == [0, 1, 1, 1, 2, 3]
    # The answer's previous turn is the question; an excerpt and a new transcript have none.
    assert lay.prev_group.tolist() == [-1, 0, -1, -1]
    assert lay.features.shape == (6, N_FEATURES)


def test_features_encode_role_kind_and_who_spoke_before():
    f = layout(_rows()).features
    assert f[1, 1] == 1 and f[1, 5] == 1            # respondent, interview
    assert f[1, 8] == 1                              # previous turn by the interviewer
    assert f[0, 12] == 1                             # no previous turn: the "none" slot
    assert f[5, 4] == 1 and f[5, 6] == 1             # unknown role, meeting
    assert f[2].tolist()[-3:] == [0.0, 0.0, 1.0]     # middle sentence: not first, not last, has a previous turn


def test_untrained_context_head_changes_nothing_and_reads_neighbours_once_trained():
    torch.manual_seed(0)
    head = build_head(8, 3, width=4, dropout=0.0)
    pooled = torch.randn(6, 8)
    lay = layout(_rows())
    assert torch.count_nonzero(head(pooled, lay)) == 0
    torch.nn.init.normal_(head.out.weight)
    before = head(pooled, lay)
    changed = pooled.clone()
    changed[0] += 1.0  # the interviewer's question
    after = head(changed, lay)
    # The answer (rows 1-3) sees the question as its previous turn; the other transcript and the excerpt do not.
    assert not torch.allclose(before[1:4], after[1:4])
    assert torch.allclose(before[4:], after[4:])


def test_turn_windows_lead_with_the_previous_turn_and_keep_excerpts_alone():
    from lccode.model.context import turn_windows

    rows = _rows()  # a: turn 0 (1 row), turn 1 (3 rows); an excerpt; b: turn 0
    assert list(turn_windows(rows, 1)) == [([0], 0), ([0, 1, 2, 3], 1), ([4], 0), ([5], 0)]
    assert list(turn_windows(rows, 2)) == [([0, 1, 2, 3], 0), ([4], 0), ([5], 0)]


def test_turn_loss_scores_each_turns_highest_logit_against_the_union_of_its_codes():
    from lccode.model.trainer import _turn_loss

    # one excerpt, then a turn of three sentences; a lead row (weight 0) of the turn before is context only
    positions = [Position(), Position("d#1", 0, "interviewer", "interview"),
                 Position("d#1", 1, "respondent", "interview"), Position("d#1", 1, "respondent", "interview"),
                 Position("d#1", 1, "respondent", "interview")]
    weights = [1.0, 0.0, 1.0, 1.0, 1.0]
    lay = layout(positions)
    logits = torch.tensor([[5.0, 5.0], [9.0, 9.0], [-2.0, 1.0], [3.0, -4.0], [-1.0, 0.5]], requires_grad=True)
    y = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    loss_fn = torch.nn.BCEWithLogitsLoss(reduction="none")
    loss = _turn_loss(logits, y, lay, positions, weights, loss_fn)
    # only the three-sentence turn counts: its maxima (3, 1) against its codes (1, 0)
    expected = loss_fn(torch.tensor([[3.0, 1.0]]), torch.tensor([[1.0, 0.0]])).mean()
    assert torch.isclose(loss, expected)
    loss.backward()
    grad = logits.grad
    assert grad[[0, 1]].abs().sum() == 0  # excerpt and context-only row take no part
    assert grad[3, 0] != 0 and grad[2, 1] != 0 and grad[4, 1] == 0  # only each turn's highest logit learns

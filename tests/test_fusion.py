"""Fusion of the lexical and dense legs: pure functions on small inline scores."""

import numpy as np
import pytest

from search.fusion import convex, rrf, scaled


def _fuse(lexical: list[float], dense: list[float], weight: float = 0.5):
    ids = np.arange(1, len(lexical) + 1)
    return convex(ids, np.array(lexical), np.array(dense), lexical_weight=weight)


def test_each_leg_is_scaled_from_its_least_possible_score_to_its_best():
    # BM25 from 0 to the best (10), a cosine from -1 to the best (0.5).
    fused = dict(_fuse([10.0, 5.0, 0.0], [0.5, -0.25, -1.0]))
    assert fused[1] == pytest.approx(0.5 * 1.0 + 0.5 * 1.0)
    assert fused[2] == pytest.approx(0.5 * 0.5 + 0.5 * 0.5)
    assert fused[3] == pytest.approx(0.0)


def test_a_chunks_score_does_not_depend_on_the_other_candidates():
    # Min-max scaling would move chunk 1 with the least candidate; this does not, as long
    # as each leg's best stays a candidate (a deeper search only adds lower ones).
    shallow = dict(_fuse([10.0, 6.0], [0.8, 0.3]))
    deeper = dict(_fuse([10.0, 6.0, 1.0, 0.5], [0.8, 0.3, 0.1, -0.2]))
    assert shallow[2] == pytest.approx(deeper[2])


def test_convex_keeps_score_gaps_that_rank_fusion_discards():
    # 2 is second in both legs but almost as good as the leader of each; 1 and 3 each lead
    # one leg and are far behind in the other.
    lexical, dense = [10.0, 9.0, 0.0], [0.10, 0.85, 0.90]
    assert _fuse(lexical, dense)[0][0] == 2
    by_lexical, by_dense = [1, 2, 3], [3, 2, 1]
    assert rrf([by_lexical, by_dense])[0][0] != 2


def test_convex_weight_moves_the_balance_between_legs():
    lexical, dense = [2.0, 1.0], [0.1, 0.9]
    assert _fuse(lexical, dense, 0.9)[0][0] == 1
    assert _fuse(lexical, dense, 0.1)[0][0] == 2


def test_no_lexical_match_leaves_the_dense_order_and_ties_break_by_id():
    assert [c for c, _ in _fuse([0.0, 0.0, 0.0], [0.2, 0.9, 0.7])] == [2, 3, 1]
    assert [c for c, _ in _fuse([1.0, 1.0], [0.5, 0.5])] == [1, 2]
    assert convex(np.array([], dtype=np.int64), np.array([]), np.array([])) == []


def test_scaled_is_the_fused_score_and_grows_with_either_score():
    score = scaled(4.0, 0.2, 10.0, 0.8, 0.25)
    fused = dict(_fuse([10.0, 4.0, 3.0, 4.0], [0.8, 0.2, 0.2, 0.1], 0.25))
    assert fused[2] == pytest.approx(score)
    assert fused[3] < score and fused[4] < score

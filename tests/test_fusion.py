"""Fusion of the lexical and dense legs: pure functions on small inline rankings."""

from search.fusion import convex, min_max, rrf


def test_min_max_rescales_to_unit_range_and_handles_one_candidate():
    assert min_max([(1, 10.0), (2, 5.0), (3, 0.0)]) == [(1, 1.0), (2, 0.5), (3, 0.0)]
    assert min_max([(7, 0.3)]) == [(7, 1.0)]
    assert min_max([]) == []


def test_convex_keeps_score_gaps_that_rank_fusion_discards():
    # 2 is second in both legs but almost as good as the leader of each; 1 and 3 each lead
    # one leg and are last, far behind, in the other.
    lexical = [(1, 10.0), (2, 9.0), (3, 0.0)]
    dense = [(3, 0.90), (2, 0.85), (1, 0.10)]
    assert convex(lexical, dense)[0][0] == 2
    assert rrf([[c for c, _ in lexical], [c for c, _ in dense]])[0][0] != 2


def test_convex_counts_a_leg_that_missed_an_id_as_zero():
    fused = dict(convex([(1, 5.0), (2, 1.0)], [(3, 0.9), (1, 0.5)], lexical_weight=0.5))
    assert fused[1] == 0.5 * 1.0 + 0.5 * 0.0  # top lexically, bottom of the dense list
    assert fused[3] == 0.5 * 1.0  # only the dense leg found it
    assert fused[2] == 0.0


def test_convex_weight_moves_the_balance_between_legs():
    lexical, dense = [(1, 2.0), (2, 1.0)], [(2, 0.9), (1, 0.1)]
    assert convex(lexical, dense, lexical_weight=0.9)[0][0] == 1
    assert convex(lexical, dense, lexical_weight=0.1)[0][0] == 2


def test_convex_with_an_empty_leg_keeps_the_other_legs_order():
    dense = [(4, 0.9), (5, 0.7), (6, 0.2)]
    assert [c for c, _ in convex([], dense)] == [4, 5, 6]

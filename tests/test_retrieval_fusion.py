"""Reciprocal rank fusion ordering."""

from retrieval.fusion import reciprocal_rank_fusion


def test_an_item_ranked_well_by_both_lists_beats_one_ranked_first_by_one_list():
    fused = reciprocal_rank_fusion([[1, 2, 3], [2, 3, 1]], k=60)
    assert [item for item, _ in fused][:1] == [2]


def test_scores_are_the_weighted_sum_of_reciprocal_ranks():
    fused = dict(reciprocal_rank_fusion([[7, 8], [8]], weights=[1.0, 2.0], k=10))
    assert fused[7] == 1 / 11
    assert fused[8] == 1 / 12 + 2 / 11


def test_items_found_by_only_one_retriever_are_kept():
    fused = reciprocal_rank_fusion([[1], [2]])
    assert {item for item, _ in fused} == {1, 2}


def test_ties_keep_first_seen_order_so_results_are_deterministic():
    fused = reciprocal_rank_fusion([[5], [6]])
    assert [item for item, _ in fused] == [5, 6]


def test_a_weight_of_zero_ignores_that_retriever():
    fused = reciprocal_rank_fusion([[1, 2], [2, 1]], weights=[1.0, 0.0])
    assert [item for item, _ in fused] == [1, 2]

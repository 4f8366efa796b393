"""Metrics, checked against values worked out by hand."""

import math

import pytest

from evals import metrics as m


def test_dedupe_keeps_each_document_at_its_first_rank():
    assert m.dedupe(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_recall_at_k_is_the_fraction_of_gold_documents_in_the_top_k():
    assert m.recall_at_k(["x", "a", "y", "b"], ["a", "b"], 2) == 0.5
    assert m.recall_at_k(["x", "a", "y", "b"], ["a", "b"], 4) == 1.0


def test_recall_counts_k_distinct_documents_not_k_passages():
    # three passages of "x" take one slot, so "a" is the second document
    assert m.recall_at_k(["x", "x", "x", "a"], ["a"], 2) == 1.0


def test_recall_without_gold_is_an_error():
    with pytest.raises(ValueError):
        m.recall_at_k(["a"], [], 1)


def test_reciprocal_rank_uses_the_first_gold_document_within_k():
    assert m.reciprocal_rank(["x", "y", "a", "b"], ["a", "b"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(["x"] * 3 + ["a"], ["a"], k=10) == 0.5
    assert m.reciprocal_rank(["x", "a"], ["a"], k=1) == 0.0


def test_ndcg_is_one_for_a_perfect_ranking():
    assert m.ndcg_at_k(["a", "b", "x"], ["a", "b"]) == 1.0


def test_ndcg_by_hand():
    # gold at ranks 2 and 3: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3)
    expected = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert m.ndcg_at_k(["x", "a", "b"], ["a", "b"]) == pytest.approx(expected)


def test_ndcg_counts_a_repeated_gold_document_once():
    assert m.ndcg_at_k(["a", "a", "x"], ["a"]) == 1.0


def test_mean_of_nothing_is_nan_not_zero():
    assert math.isnan(m.mean([]))


def test_accuracy():
    assert m.accuracy(["yes", "no", "maybe", "yes"], ["yes", "no", "no", "no"]) == 0.5


def test_accuracy_rejects_lists_of_different_length():
    with pytest.raises(ValueError):
        m.accuracy(["yes"], [])


def test_confusion_matrix_rows_are_gold_columns_are_predicted():
    gold = ["yes", "yes", "no", "maybe"]
    pred = ["yes", "no", "no", "yes"]
    assert m.confusion_matrix(gold, pred, ["yes", "no", "maybe"]) == [
        [1, 1, 0],
        [0, 1, 0],
        [1, 0, 0],
    ]


def test_macro_f1_by_hand():
    gold = ["yes", "yes", "no", "maybe"]
    pred = ["yes", "no", "no", "yes"]
    # yes: tp1 fp1 fn1 -> 0.5; no: tp1 fp1 fn0 -> 2/3; maybe: 0
    assert m.macro_f1(gold, pred, ["yes", "no", "maybe"]) == pytest.approx((0.5 + 2 / 3) / 3)


def test_macro_f1_weights_a_rare_class_like_a_frequent_one():
    gold = ["yes"] * 9 + ["no"]
    pred = ["yes"] * 10
    assert m.accuracy(gold, pred) == 0.9
    assert m.macro_f1(gold, pred, ["yes", "no"]) == pytest.approx((18 / 19) / 2)


def test_majority_label_breaks_ties_alphabetically():
    assert m.majority_label(["no", "yes", "yes", "no"]) == "no"


def test_bootstrap_ci_is_seeded_and_brackets_the_mean():
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]
    low, high = m.bootstrap_mean_ci(values, seed=3)
    assert low <= m.mean(values) <= high
    assert (low, high) == m.bootstrap_mean_ci(values, seed=3)


def test_bootstrap_of_a_constant_is_that_constant():
    assert m.bootstrap_mean_ci([0.5] * 20) == (0.5, 0.5)
    assert m.bootstrap_ci(list(range(5)), lambda s: 7.0) == (7.0, 7.0)


def test_generic_bootstrap_agrees_with_the_vectorised_one():
    values = [float(i % 3 == 0) for i in range(30)]
    assert m.bootstrap_ci(values, m.mean, seed=1) == pytest.approx(
        m.bootstrap_mean_ci(values, seed=1)
    )


def test_citation_precision_is_supported_over_cited_sentences():
    assert m.citation_precision([True, False, True, True]) == 0.75


def test_citation_validity_counts_citations_of_passages_not_given():
    assert m.citation_validity(["1", "2", "9"], ["1", "2", "3"]) == pytest.approx(2 / 3)


def test_abstention_rate():
    assert m.abstention_rate([True, False, False, False]) == 0.25


def test_four_level_answers_map_to_the_three_level_scale():
    assert m.three_level("urgent") == "non-emergency"
    assert m.three_level("routine") == "non-emergency"
    assert m.three_level("emergency") == "emergency"
    assert m.three_level("self-care") == "self-care"
    with pytest.raises(ValueError):
        m.three_level("soon")


def test_emergency_sensitivity_only_looks_at_gold_emergencies():
    gold = ["emergency", "emergency", "self-care", "non-emergency"]
    pred = ["emergency", "urgent", "emergency", "emergency"]
    assert m.emergency_sensitivity(gold, pred) == 0.5


def test_under_and_over_triage_are_shares_of_all_cases():
    gold = ["emergency", "non-emergency", "self-care", "non-emergency"]
    pred = ["routine", "self-care", "urgent", "urgent"]
    assert m.under_triage_rate(gold, pred) == 0.5  # emergency->routine, non-emergency->self-care
    assert m.over_triage_rate(gold, pred) == 0.25  # self-care->urgent


def test_urgent_and_routine_are_both_correct_for_non_emergency():
    gold = ["non-emergency", "non-emergency"]
    pred = [m.three_level("urgent"), m.three_level("routine")]
    assert m.accuracy(gold, pred) == 1.0
    assert m.under_triage_rate(gold, pred) == m.over_triage_rate(gold, pred) == 0.0


def test_percentile_interpolates():
    assert m.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert math.isnan(m.percentile([], 95))

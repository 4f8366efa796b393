"""Reciprocal rank fusion: combine ranked lists without calibrating their scores."""

from __future__ import annotations

from collections.abc import Sequence


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None, k: int = 60
) -> list[tuple[int, float]]:
    """Fuse ranked id lists: score(id) = sum_i w_i / (k + rank_i(id)), ranks from 1.

    Ties keep the order in which ids were first seen (earlier lists, higher ranks first), so the
    result is deterministic.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    order = {item: i for i, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


def blend_reranked(
    first_stage: Sequence[int], rerank_scores: Sequence[float], weight: float, k: int = 10
) -> list[tuple[int, float]]:
    """Order the reranked top n by weighted reciprocal rank fusion of two rankings: the first
    stage's (`first_stage`, best first) with weight 1 - `weight`, the reranker's (by
    `rerank_scores`, one per item) with weight `weight`.

    Ranks, not raw scores, so a reranker that is sure of itself cannot drown out a first stage
    that was right: 0 keeps the first-stage order, 1 is the reranker's order, and an item both
    put first stays first. Ties keep the first-stage order.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the reranker's weight must be in [0, 1], got {weight}")
    if len(rerank_scores) != len(first_stage):
        raise ValueError("one reranker score per first-stage item")
    by_reranker = sorted(range(len(first_stage)), key=lambda i: -rerank_scores[i])
    return reciprocal_rank_fusion(
        [list(first_stage), [first_stage[i] for i in by_reranker]], [1.0 - weight, weight], k
    )

"""The optional cross-encoder stage, with a real sentence-transformers CrossEncoder.

No trained biomedical cross-encoder installs here (see ../shared/MODELS.md), so the test builds
one from the packaged MiniLM weights with a freshly initialised, seeded scoring head: the stage's
code path is real; its ranking quality is not what is tested.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from retrieval.rerank import Reranker
from retrieval.retriever import QueryError, Retriever
from retrieval.weights import find_packaged, materialize


@pytest.fixture(scope="module")
def reranker(tmp_path_factory):
    torch.manual_seed(0)
    folder = materialize(find_packaged("all-MiniLM-L6-v2"), tmp_path_factory.mktemp("models"))
    return Reranker(str(folder), device="cpu")


def test_reranker_scores_each_passage(reranker):
    scores = reranker.score("aspirin and stroke", ["aspirin reduced stroke", "knee surgery"])
    assert scores.shape == (2,)


def test_reranked_hits_are_ordered_by_the_cross_encoder(retriever, reranker, settings):
    reranking = Retriever(retriever.index, retriever.embedder,
                          replace(settings.retrieval, rerank_top_n=10), reranker=reranker)
    hits = reranking.search("statins and cholesterol in older adults", k=10)
    rerank_scores = [h.scores["rerank"] for h in hits]
    assert rerank_scores == sorted(rerank_scores, reverse=True)
    assert [h.score for h in hits] == rerank_scores
    assert "dense" in hits[0].scores or "bm25" in hits[0].scores


def test_rerank_false_gives_the_fused_ranking_of_the_same_retriever(retriever, reranker, settings):
    reranking = Retriever(retriever.index, retriever.embedder, settings.retrieval,
                          reranker=reranker)
    query = "statins and cholesterol in older adults"
    plain = reranking.search(query, k=8, rerank=False)
    assert [h.passage.row_id for h in plain] == [h.passage.row_id
                                                for h in retriever.search(query, k=8)]
    assert all("rerank" not in h.scores for h in plain)


def test_hits_past_the_reranked_top_n_keep_their_fused_order(retriever, reranker, settings):
    reranking = Retriever(retriever.index, retriever.embedder,
                          replace(settings.retrieval, rerank_top_n=5), reranker=reranker)
    query = "statins and cholesterol in older adults"
    hits = reranking.search(query, k=12)
    fused = [h.passage.row_id for h in retriever.search(query, k=12)]
    assert len(hits) == 12
    assert sorted(h.passage.row_id for h in hits[:5]) == sorted(fused[:5])
    assert [h.passage.row_id for h in hits[5:]] == fused[5:]


def test_asking_to_rerank_without_a_reranker_is_a_query_error(retriever):
    with pytest.raises(QueryError, match="no reranker"):
        retriever.search("statins", rerank=True)

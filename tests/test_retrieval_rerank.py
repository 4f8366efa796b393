"""The optional reranking stage, with real sentence-transformers models of both kinds.

No trained cross-encoder installs here (see ../shared/MODELS.md), so these tests build one from
the packaged MiniLM weights with a freshly initialised, seeded scoring head: the stage's code
path is real; its ranking quality is not what is tested (see test_retrieval_rerank_training.py).
"""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from retrieval.query import QueryError
from retrieval.rerank import Reranker, model_kind
from retrieval.retriever import Retriever
from retrieval.weights import find_packaged, materialize


@pytest.fixture(scope="module")
def minilm(tmp_path_factory):
    return materialize(find_packaged("all-MiniLM-L6-v2"), tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def reranker(minilm, tmp_path_factory):
    from sentence_transformers import CrossEncoder

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("cross-encoder")
    CrossEncoder(str(minilm), num_labels=1, local_files_only=True).save(str(folder))
    return Reranker(str(folder), device="cpu")


def test_a_sentence_transformer_folder_is_a_bi_encoder_and_a_hub_id_a_cross_encoder(minilm):
    assert model_kind(str(minilm)) == "bi-encoder"
    assert model_kind("cross-encoder/ms-marco-MiniLM-L6-v2") == "cross-encoder"


def test_a_saved_cross_encoder_loads_as_one(reranker):
    assert reranker.kind == "cross-encoder"


def test_a_bi_encoder_reranker_scores_by_cosine(minilm):
    scores = Reranker(str(minilm), device="cpu").score(
        "aspirin and stroke", ["aspirin reduced stroke", "knee surgery"])
    assert scores.shape == (2,) and scores[0] > scores[1] and scores.max() <= 1.0 + 1e-5


def test_reranker_scores_each_passage(reranker):
    scores = reranker.score("aspirin and stroke", ["aspirin reduced stroke", "knee surgery"])
    assert scores.shape == (2,)


def test_reranked_hits_at_weight_one_are_ordered_by_the_cross_encoder(retriever, reranker,
                                                                     settings):
    reranking = Retriever(retriever.index, retriever.embedder,
                          replace(settings.retrieval, rerank_top_n=10, rerank_weight=1.0),
                          reranker=reranker)
    hits = reranking.search("statins and cholesterol in older adults", k=10)
    rerank_scores = [h.scores["rerank"] for h in hits]
    assert rerank_scores == sorted(rerank_scores, reverse=True)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert "dense" in hits[0].scores or "bm25" in hits[0].scores


def test_rerank_false_gives_the_fused_ranking_of_the_same_retriever(retriever, reranker, settings):
    reranking = Retriever(retriever.index, retriever.embedder, settings.retrieval,
                          reranker=reranker)
    query = "statins and cholesterol in older adults"
    plain = reranking.search(query, k=8, rerank=False)
    fused = Retriever(retriever.index, retriever.embedder, settings.retrieval, reranker=None)
    assert [h.passage.row_id for h in plain] == [h.passage.row_id
                                                for h in fused.search(query, k=8)]
    assert all("rerank" not in h.scores for h in plain)


def test_hits_past_the_reranked_top_n_keep_their_fused_order(retriever, reranker, settings):
    reranking = Retriever(retriever.index, retriever.embedder,
                          replace(settings.retrieval, rerank_top_n=5), reranker=reranker)
    query = "statins and cholesterol in older adults"
    hits = reranking.search(query, k=12)
    fused = [h.passage.row_id for h in retriever.search(query, k=12, rerank=False)]
    assert len(hits) == 12
    assert sorted(h.passage.row_id for h in hits[:5]) == sorted(fused[:5])
    assert [h.passage.row_id for h in hits[5:]] == fused[5:]


def test_asking_to_rerank_without_a_reranker_is_a_query_error(retriever, settings):
    plain = Retriever(retriever.index, retriever.embedder, settings.retrieval, reranker=None)
    with pytest.raises(QueryError, match="no reranker"):
        plain.search("statins", rerank=True)


def test_an_unknown_reranker_is_refused_with_what_to_use_instead(tmp_path):
    with pytest.raises(OSError, match="medchat-rerank-minilm"):
        Reranker("no-such-reranker-model", device="cpu", cache_dir=tmp_path)

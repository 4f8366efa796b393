"""The retrieval table's rows: which methods a run compares, and how each name is searched."""

from __future__ import annotations

import pytest

from evals.runner import Methods, table_rows
from retrieval.rerank import Reranker
from retrieval.retriever import Retriever
from retrieval.weights import find_packaged, materialize


def test_a_plain_system_is_compared_with_bm25_dense_and_langchain():
    assert table_rows("hybrid", False, True) == ("hybrid", ("bm25", "dense", "langchain"))


def test_a_reranking_system_is_also_compared_with_its_own_fused_ranking():
    assert table_rows("hybrid", True, False) == ("hybrid+rerank", ("hybrid", "bm25", "dense"))
    assert table_rows("dense", True, False) == ("dense+rerank", ("dense", "bm25"))


@pytest.fixture(scope="module")
def methods(retriever, settings, tmp_path_factory):
    """A bi-encoder re-scorer from the packaged MiniLM: any reranker serves for naming rows."""
    folder = materialize(find_packaged("all-MiniLM-L6-v2"), tmp_path_factory.mktemp("models"))
    reranking = Retriever(retriever.index, retriever.embedder, settings.retrieval,
                          reranker=Reranker(str(folder), device="cpu"))
    return Methods(reranking)


QUERY = "Do mitochondria play a role in remodelling lace plant leaves?"


def test_a_mode_name_searches_without_the_reranker(methods):
    (hits,) = methods.search_many([QUERY], 5, "hybrid")
    assert all("rerank" not in h.scores for h in hits)


def test_a_rerank_name_reranks_the_fused_ranking(methods):
    (hits,) = methods.search_many([QUERY], 5, "hybrid+rerank")
    assert all("rerank" in h.scores for h in hits)


def test_langchain_names_the_plain_langchain_recipe(methods):
    (hits,) = methods.search_many([QUERY], 3, "langchain")
    assert hits[0].passage.pmid == "21645374" and len(hits) == 3

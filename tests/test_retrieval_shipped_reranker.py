"""The reranker shipped in retrieval/rerankers/: it loads by name over the verified base weights
and lifts rank-1 recall on MedQuAD topics it was not trained on (real index, real questions)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from evals.formats import read_questions
from evals.metrics import dedupe
from retrieval.index import build_index
from retrieval.rerank import Reranker
from retrieval.retriever import Retriever

SHIPPED = "medchat-rerank-minilm"
HELD_OUT = "evals/data/medquad/questions_rerank_heldout.jsonl"


@pytest.fixture(scope="module")
def medquad_retriever(settings, embedder, builtin_embeddings, tmp_path_factory):
    from corpus.builtin import read_builtin

    folder = tmp_path_factory.mktemp("medquad-index")
    build_index(read_builtin(sources=["medquad"]), folder, settings.retrieval, settings.chunking,
                embedder=embedder, embedding_files=builtin_embeddings, progress=False)
    reranker = Reranker(SHIPPED, device="cpu", cache_dir=settings.model_cache)
    return Retriever.load(folder, replace(settings.retrieval, reranker=""), settings.chunking,
                          embedder=embedder), reranker


def test_the_shipped_reranker_is_a_lora_bi_encoder_loaded_by_name(medquad_retriever):
    _, reranker = medquad_retriever
    assert reranker.kind == "bi-encoder"


def test_reranking_lifts_recall_at_1_on_held_out_topics(medquad_retriever, settings):
    retriever, reranker = medquad_retriever
    reranking = Retriever(retriever.index, retriever.embedder, settings.retrieval, reranker)
    questions = read_questions(HELD_OUT, 40)
    texts = [q.question for q in questions]

    def recall_at_1(results) -> float:
        firsts = [dedupe(h.passage.doc_id for h in hits)[0] for hits in results]
        return sum(f in q.gold_ids for f, q in zip(firsts, questions, strict=True)) / len(questions)

    fused = recall_at_1(reranking.search_many(texts, 5, rerank=False))
    reranked = recall_at_1(reranking.search_many(texts, 5))
    assert reranked >= fused + 0.1, (fused, reranked)

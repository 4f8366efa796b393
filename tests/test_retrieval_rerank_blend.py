"""Blended reranking: the reranker's order of the top n fused with the first stage's by rank, at
`rerank_weight` (0 = first stage only, 1 = reranker only). The retriever tests use the shipped
reranker over the built-in PubMedQA index; the benchmark test runs its whole pipeline on a few
questions in the evaluation's question format."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.settings import SettingsError, load_settings
from retrieval.fusion import blend_reranked
from retrieval.rerank import Reranker
from retrieval.retriever import Retriever
from retrieval.settings import RetrievalSettings

REPO = Path(__file__).resolve().parents[1]
QUERY = "statins and cholesterol in older adults"
ITEMS = [11, 12, 13, 14]  # first-stage order
SCORES = [0.1, 0.4, 0.9, 0.2]  # reranker order: 13, 12, 14, 11


def order(ranked: list[tuple[int, float]]) -> list[int]:
    return [item for item, _ in ranked]


def test_weight_zero_keeps_the_first_stage_order():
    assert order(blend_reranked(ITEMS, SCORES, 0.0)) == ITEMS


def test_weight_one_is_the_reranker_order():
    assert order(blend_reranked(ITEMS, SCORES, 1.0)) == [13, 12, 14, 11]


@pytest.mark.parametrize("weight", [0.0, 0.2, 0.5, 0.8, 1.0])
def test_a_candidate_both_rank_first_stays_first(weight):
    assert order(blend_reranked(ITEMS, [0.9, 0.4, 0.1, 0.2], weight))[0] == 11


def test_a_blend_lets_a_strong_first_stage_choice_survive_a_weak_reranker_preference():
    # 11: first for the first stage, second for the reranker; 13: third and first
    blended = order(blend_reranked(ITEMS, [0.8, 0.1, 0.9, 0.2], 0.5))
    assert blended[0] == 11


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_zero_to_one_is_refused(weight):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        blend_reranked(ITEMS, SCORES, weight)


@pytest.mark.parametrize("weight", [-0.1, 1.01])
def test_settings_refuse_a_rerank_weight_outside_zero_to_one(weight):
    with pytest.raises(ValueError, match="rerank_weight"):
        RetrievalSettings(rerank_weight=weight)


def test_the_rerank_weight_is_read_from_the_environment():
    settings = load_settings(env={"MEDCHAT_RETRIEVAL__RERANK_WEIGHT": "0.25"})
    assert settings.retrieval.rerank_weight == 0.25
    with pytest.raises(SettingsError, match="rerank_weight"):
        load_settings(env={"MEDCHAT_RETRIEVAL__RERANK_WEIGHT": "2"})


@pytest.fixture(scope="module")
def shipped(settings):
    return Reranker("medchat-rerank-minilm", device="cpu", cache_dir=settings.model_cache)


def reranking(retriever, reranker, weight: float) -> Retriever:
    return Retriever(retriever.index, retriever.embedder,
                     replace(retriever.settings, rerank_weight=weight), reranker)


def test_the_retriever_at_weight_zero_returns_the_first_stage_order(retriever, shipped):
    hits = reranking(retriever, shipped, 0.0).search(QUERY, k=10)
    assert [h.passage.row_id for h in hits] == [
        h.passage.row_id for h in retriever.search(QUERY, k=10, rerank=False)]
    assert all("rerank" in h.scores for h in hits)  # scored all the same, for the relevance gate


def test_the_retriever_at_weight_one_orders_the_top_n_by_the_reranker(retriever, shipped):
    hits = reranking(retriever, shipped, 1.0).search(QUERY, k=10)
    scores = [h.scores["rerank"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def test_the_retriever_blends_as_the_pure_function_does(retriever, shipped):
    n = retriever.settings.rerank_top_n
    first = retriever.search(QUERY, k=n, rerank=False)
    scores = shipped.score(QUERY, [h.passage.text for h in first])
    expected = blend_reranked([h.passage.row_id for h in first], list(scores), 0.5,
                              retriever.settings.rrf_k)
    hits = reranking(retriever, shipped, 0.5).search(QUERY, k=n)
    assert [h.passage.row_id for h in hits] == order(expected)


def load_benchmark():
    spec = importlib.util.spec_from_file_location("rerank_blend",
                                                  REPO / "benchmarks" / "rerank_blend.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_reads_any_file_of_the_question_shape(tmp_path, settings, pubmedqa_docs):
    """Questions written as the expert files are (id, question, gold_ids, kind, source), over a
    small corpus: weights are chosen on one file and the table is written for another."""
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"pmid": d.pmid, "title": d.title, "sections": [
        {"label": s.label, "text": s.text} for s in d.sections]}) + "\n"
        for d in pubmedqa_docs[:60]))
    questions = [{"id": f"x{i}", "question": d.title, "gold_ids": [d.pmid], "kind": "factoid",
                  "source": d.pmid} for i, d in enumerate(pubmedqa_docs[:6])]
    dev, test = tmp_path / "dev.jsonl", tmp_path / "test.jsonl"
    dev.write_text("".join(json.dumps(q) + "\n" for q in questions[:3]))
    test.write_text("".join(json.dumps(q) + "\n" for q in questions[3:]))
    config = tmp_path / "medchat.toml"
    config.write_text(f'home = "{settings.home}"\nmodels_dir = "{settings.model_cache}"\n'
                      '[retrieval]\ndevice = "cpu"\n')
    out = tmp_path / "run"
    assert load_benchmark().main([
        "--config", str(config), "--corpus", str(corpus), "--out", str(out),
        "--dev", f"expert={dev}", "--test", f"expert={test}", "--cost-questions", "2",
        "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["dev"]["n"] == {"expert": 3}
    methods = results["test"]["expert"]["methods"]
    assert set(methods) == {"first stage", "reranker only", f"blended (w={results['weight']})"}
    assert 0.0 <= methods["first stage"]["ndcg@10"] <= 1.0
    assert results["cost"]["questions"] == 2

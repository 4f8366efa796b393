"""Retrieval settings: one typed section of medchat's `Settings` (`[retrieval]`)."""

from __future__ import annotations

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

MODES = ("hybrid", "dense", "bm25")  # the one home of the retrieval modes (CLI, UI, settings)


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class RetrievalSettings:
    embedder: str = Field("all-MiniLM-L6-v2", description="sentence-transformers model that "
                          "embeds passages and questions: a packaged name, a folder or an id")
    index_factory: str = Field(
        "auto", description='FAISS index-factory string ("Flat", "IVF1024,Flat", '
        '"IVF4096,PQ48"), or "auto": Flat below 200k passages, IVF above, IVF-PQ above 2M '
        "(retrieval.dense.choose_factory)")
    nprobe: int = Field(32, description="the least number of IVF lists probed per query")
    nprobe_scale: float = Field(2.0, description="IVF indexes probe max(nprobe, nprobe_scale x "
                                "sqrt(lists)) lists (measured: docs/scale.md); 0 = always nprobe")
    rescore: int = Field(4, description="PQ/SQ indexes: re-score the top k x rescore candidates "
                         "exactly against the float16 vectors kept on disk; 0 = off")
    mode: str = Field("hybrid", description="hybrid (words and meaning), dense (meaning) or "
                      "bm25 (words)")
    top_k: int = Field(5, description="passages given to the generator (at least 1)")
    fetch_k: int = Field(50, description="candidates taken from each retriever before fusion "
                         "and reranking (at least 1)")
    rrf_k: int = Field(10, description="reciprocal rank fusion constant, also used by the "
                       "rerank blend; swept on MedQuAD + Evidence Inference dev: 10 beat 30 and "
                       "60 on both")
    dense_weight: float = Field(1.0, description="weight of the dense ranking in fusion")
    bm25_weight: float = Field(1.0, description="weight of the BM25 ranking in fusion")
    reranker: str = Field(
        "medchat-rerank-minilm", description='the shipped reranker (retrieval/rerankers/), any '
        'sentence-transformers CrossEncoder or SentenceTransformer id or folder; "" = off. On by '
        "default: blended (rerank_weight) it was no worse than hybrid on any question kind "
        "measured (benchmarks/rerank_blend.py)")
    rerank_top_n: int = Field(20, description="first-stage passages the reranker rescores")
    rerank_weight: float = Field(
        0.55, description="the reranker's share of the final order of the top n, blended with "
        "the first stage's by weighted reciprocal rank fusion (retrieval.fusion.blend_reranked): "
        "0 keeps the first-stage order, 1 is the reranker's alone. 0.55 had the largest "
        "worst-kind nDCG@10 gain over hybrid on development questions "
        "(benchmarks/rerank_blend.py)")
    device: str = Field("auto", description='"auto", "cpu" or "cuda"')
    batch_size: int = Field(64, description="embedding batch size")

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.nprobe < 1 or self.nprobe_scale < 0 or self.rescore < 0:
            raise ValueError("retrieval nprobe must be at least 1, nprobe_scale and rescore at "
                             "least 0")
        if self.top_k < 1 or self.fetch_k < 1:
            raise ValueError("retrieval top_k and fetch_k must be at least 1")
        if not 0.0 <= self.rerank_weight <= 1.0:
            raise ValueError(
                f"retrieval rerank_weight must be in [0, 1] (0 = first stage only, 1 = reranker "
                f"only), got {self.rerank_weight}"
            )

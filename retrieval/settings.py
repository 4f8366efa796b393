"""Retrieval settings: one typed section of medchat's `Settings`."""

from __future__ import annotations

from dataclasses import dataclass

MODES = ("hybrid", "dense", "bm25")


@dataclass(frozen=True)
class RetrievalSettings:
    embedder: str = "all-MiniLM-L6-v2"
    # A FAISS index-factory string ("Flat", "IVF1024,Flat", "IVF4096,PQ48"), or "auto": Flat
    # below 200k passages, IVF above, IVF-PQ above 2M (see retrieval.dense.choose_factory).
    index_factory: str = "auto"
    nprobe: int = 32
    mode: str = "hybrid"
    top_k: int = 5
    fetch_k: int = 50  # candidates taken from each retriever before fusion / reranking
    rrf_k: int = 10  # swept on MedQuAD + Evidence Inference dev: 10 beat 30 and 60 on both
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # The shipped reranker (retrieval/rerankers/), any sentence-transformers CrossEncoder or
    # SentenceTransformer id or folder; "" = off. On by default since blending (rerank_weight)
    # made it no worse than hybrid on any question kind measured (benchmarks/rerank_blend.py).
    reranker: str = "medchat-rerank-minilm"
    rerank_top_n: int = 20
    # The reranker's share of the final order of the top n, blended with the first stage's by
    # weighted reciprocal rank fusion (retrieval.fusion.blend_reranked, k = rrf_k): 0 keeps the
    # first-stage order, 1 is the reranker's order alone. 0.55 had the largest worst-kind nDCG@10
    # gain over hybrid on development questions (expert +0.018, MedQuAD +0.119, Evidence
    # Inference +0.023; reranker alone: expert -0.011): `python benchmarks/rerank_blend.py`.
    rerank_weight: float = 0.55
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.top_k < 1 or self.fetch_k < 1:
            raise ValueError("retrieval top_k and fetch_k must be at least 1")
        if not 0.0 <= self.rerank_weight <= 1.0:
            raise ValueError(
                f"retrieval rerank_weight must be in [0, 1] (0 = first stage only, 1 = reranker "
                f"only), got {self.rerank_weight}"
            )

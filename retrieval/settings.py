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
    reranker: str = ""  # a sentence-transformers CrossEncoder id or folder; "" = off
    rerank_top_n: int = 20
    device: str = "auto"  # "auto" | "cpu" | "cuda"
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"retrieval mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.top_k < 1 or self.fetch_k < 1:
            raise ValueError("retrieval top_k and fetch_k must be at least 1")

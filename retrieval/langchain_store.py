"""The plain LangChain recipe as a baseline: LangChain's FAISS vector store over our embedder.

Built from the same passages and vectors as a medchat index (so only the search path differs:
LangChain's IndexFlatL2 store and its per-query API), for benchmarks run in the same process.
"""

from __future__ import annotations

import warnings

import numpy as np
from langchain_core.embeddings import Embeddings

from retrieval.embedder import Embedder
from retrieval.hits import Hit
from retrieval.index import Index


class EmbedderForLangChain(Embeddings):
    """medchat's Embedder behind LangChain's Embeddings interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()


def langchain_faiss(index: Index, embedder: Embedder):
    """A LangChain FAISS store holding the index's live passages with their dense vectors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community's sunset notice
        from langchain_community.vectorstores import FAISS

    dense = index.dense
    vectors = dense.index.reconstruct_n(0, dense.index.ntotal)
    live = np.flatnonzero(dense.alive)
    passages = index.store.get(dense.ids[live].tolist())
    return FAISS.from_embeddings(
        [(p.text, vectors[i].tolist()) for p, i in zip(passages, live, strict=True)],
        EmbedderForLangChain(embedder),
        metadatas=[{"row": int(dense.ids[i]), "doc_id": p.doc_id, "pmid": p.pmid}
                   for p, i in zip(passages, live, strict=True)],
    )


class LangChainBaseline:
    """The recipe searched through LangChain's API one query at a time (as its users do), with
    results as medchat `Hit` records so a benchmark scores it exactly like the Retriever."""

    def __init__(self, index: Index, embedder: Embedder) -> None:
        self.index = index
        self.store = langchain_faiss(index, embedder)

    def search_many(self, queries: list[str], k: int) -> list[list[Hit]]:
        results = []
        for query in queries:
            found = self.store.similarity_search_with_score(query, k=k)
            passages = self.index.store.get([doc.metadata["row"] for doc, _ in found])
            ranked = enumerate(zip(passages, found, strict=True), 1)
            results.append([Hit(p, float(distance), rank) for rank, (p, (_, distance)) in ranked])
        return results

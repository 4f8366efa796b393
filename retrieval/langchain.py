"""LangChain interoperability: medchat's retriever as a LangChain `BaseRetriever`.

    from retrieval.langchain import MedchatRetriever
    chain_retriever = MedchatRetriever(retriever=Retriever.load(index_dir, settings))
    docs = chain_retriever.invoke("metformin in pregnancy")

Needs `pip install "medchat[langchain]"`.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from retrieval.hits import Hit


def to_langchain(hit: Hit) -> LCDocument:
    p = hit.passage
    return LCDocument(
        page_content=p.text,
        metadata={
            "id": p.citation_id, "doc_id": p.doc_id, "pmid": p.pmid, "title": p.title,
            "year": p.year, "link": p.link, "score": hit.score, "rank": hit.rank,
            "chunk": p.chunk, "source": p.source,
        },
    )


class MedchatRetriever(BaseRetriever):
    """Hybrid (or dense / BM25) medchat search behind LangChain's retriever interface."""

    retriever: Any
    k: int | None = None
    mode: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return [to_langchain(h) for h in self.retriever.search(query, k=self.k, mode=self.mode)]

"""LangChain interoperability: medchat as a LangChain retriever, and the LangChain baseline."""

from __future__ import annotations

from retrieval.langchain import MedchatRetriever
from retrieval.langchain_store import LangChainBaseline, langchain_faiss


def test_medchat_answers_langchain_retriever_calls_with_pmid_metadata(retriever):
    docs = MedchatRetriever(retriever=retriever, k=3).invoke(
        "Do mitochondria play a role in remodelling lace plant leaves?"
    )
    assert len(docs) == 3
    assert docs[0].metadata["pmid"] == "21645374"
    assert docs[0].metadata["link"] == "https://pubmed.ncbi.nlm.nih.gov/21645374/"


def test_langchain_faiss_baseline_ranks_like_medchat_dense(retriever, pubmedqa_docs):
    store = langchain_faiss(retriever.index, retriever.embedder)
    for doc in pubmedqa_docs[:5]:
        ours = retriever.search(doc.title, k=1, mode="dense")[0].passage.doc_id
        (theirs, _), = store.similarity_search_with_score(doc.title, k=1)
        assert theirs.metadata["doc_id"] == ours


def test_langchain_baseline_returns_medchat_hits_for_the_same_passages(retriever, pubmedqa_docs):
    baseline = LangChainBaseline(retriever.index, retriever.embedder)
    titles = [doc.title for doc in pubmedqa_docs[:3]]
    for title, hits in zip(titles, baseline.search_many(titles, k=4), strict=True):
        assert [h.rank for h in hits] == [1, 2, 3, 4]
        assert hits[0].passage == retriever.search(title, k=1, mode="dense")[0].passage

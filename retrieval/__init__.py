"""Retrieval: embed passages, index them (FAISS + BM25), and search."""

from retrieval.embedder import Embedder
from retrieval.hits import Hit
from retrieval.index import Index, build_index, update_index
from retrieval.manifest import IndexMismatchError, Manifest
from retrieval.query import QueryError
from retrieval.retriever import Filters, Retriever
from retrieval.settings import RetrievalSettings

__all__ = [
    "Embedder",
    "Filters",
    "Hit",
    "Index",
    "IndexMismatchError",
    "Manifest",
    "QueryError",
    "RetrievalSettings",
    "Retriever",
    "build_index",
    "update_index",
]

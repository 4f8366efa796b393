"""Corpus: source records, readers, chunking and the on-disk passage store."""

from corpus.chunking import ChunkSettings, chunk_document
from corpus.records import Document, Passage, Section

__all__ = ["ChunkSettings", "Document", "Passage", "Section", "chunk_document"]

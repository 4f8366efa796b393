"""Corpus: source records, readers, chunking and the on-disk passage store."""

from corpus.builtin import BUILTIN_SOURCES, builtin_corpus_files, read_builtin
from corpus.chunking import ChunkSettings, chunk_document
from corpus.dedup import dedupe
from corpus.errors import MedchatError
from corpus.jsonl import read_jsonl
from corpus.limits import ReaderSettings
from corpus.problems import CorpusError, Problem, ReadReport
from corpus.pubmed_xml import read_pubmed_xml
from corpus.readers import read_corpus
from corpus.records import Document, Passage, Section
from corpus.store import PassageStore

__all__ = [
    "BUILTIN_SOURCES",
    "ChunkSettings",
    "CorpusError",
    "Document",
    "MedchatError",
    "Passage",
    "PassageStore",
    "Problem",
    "ReadReport",
    "ReaderSettings",
    "Section",
    "builtin_corpus_files",
    "chunk_document",
    "dedupe",
    "read_builtin",
    "read_corpus",
    "read_jsonl",
    "read_pubmed_xml",
]

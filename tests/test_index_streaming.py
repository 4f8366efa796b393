"""The streaming index build: vectors go to a memory-mapped float16 file block by block, the
quantiser trains on a sample of it and FAISS is filled from it, never from all float32 vectors
in memory; compressed indexes keep that file for exact re-scoring, through updates too."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from corpus.chunking import chunk_document
from corpus.records import Document, Section
from retrieval import index as index_module
from retrieval.dense import DenseIndex
from retrieval.embedding_cache import EmbeddingCache
from retrieval.exact_vectors import segment_paths
from retrieval.index import Index, build_index, current_version, update_index

DOCS = 400  # about 1,000 passages of the built-in PubMedQA abstracts, embeddings shipped
PQ = "IVF8,PQ48"


@pytest.fixture(scope="module")
def sample(pubmedqa_docs, embedder, builtin_embeddings):
    """The documents, and their passages' vectors held in memory the old way (float32)."""
    docs = pubmedqa_docs[:DOCS]
    texts = [p.text for d in docs for p in chunk_document(d)]
    cache = EmbeddingCache(embedder.fingerprint, embedder.dim)
    for path in builtin_embeddings:
        cache.load(path)
    vectors, missing = cache.lookup(texts)
    assert not missing
    return docs, vectors


def _build(docs, folder, settings, embedder, builtin_embeddings, factory, monkeypatch) -> Index:
    monkeypatch.setattr(index_module, "STREAM_BLOCK", 300)  # several blocks
    rs = replace(settings.retrieval, index_factory=factory)
    build_index(docs, folder, rs, settings.chunking, embedder=embedder,
                embedding_files=builtin_embeddings, progress=False)
    return Index.load(folder, rs, settings.chunking)


@pytest.mark.parametrize("factory", ["Flat", PQ])
def test_streaming_build_equals_the_in_memory_build(
    sample, settings, embedder, builtin_embeddings, tmp_path, monkeypatch, factory
):
    docs, vectors = sample
    streamed = _build(docs, tmp_path, settings, embedder, builtin_embeddings, factory,
                      monkeypatch)
    in_memory = DenseIndex.build(vectors, streamed.dense.ids, factory)
    queries = vectors[::25]
    for dense in (streamed.dense, in_memory):
        dense.set_nprobe(8)
        dense.rescore = 0  # compare the FAISS indexes themselves
    assert streamed.dense.index.ntotal == len(vectors)
    for got, want in zip(streamed.dense.search(queries, 10), in_memory.search(queries, 10),
                         strict=True):
        np.testing.assert_array_equal(got, want)
    streamed.close()


def test_a_flat_build_keeps_no_exact_vector_file(
    sample, settings, embedder, builtin_embeddings, tmp_path, monkeypatch
):
    index = _build(sample[0], tmp_path, settings, embedder, builtin_embeddings, "Flat",
                   monkeypatch)
    assert index.dense.exact is None and not segment_paths(current_version(tmp_path))
    index.close()


def test_exact_vectors_survive_reload_and_an_incremental_update(
    sample, settings, embedder, builtin_embeddings, tmp_path, monkeypatch
):
    docs, vectors = sample
    index = _build(docs, tmp_path, settings, embedder, builtin_embeddings, PQ, monkeypatch)
    assert isinstance(index.dense.exact.segments[0], np.memmap)
    np.testing.assert_array_equal(index.dense.exact.rows(np.arange(len(vectors))), vectors)
    gone = [p.row_id for p in index.store.iter_passages() if p.doc_id == docs[0].doc_id]
    index.close()

    new = Document(doc_id="99000002", pmid="99000002", title="Vitamin D and hip fractures",
                   sections=(Section("RESULTS", "Vitamin D did not prevent hip fractures in "
                                     "community-dwelling adults over seventy."),), year=2024)
    rs = replace(settings.retrieval, index_factory=PQ)
    update_index(tmp_path, [new], rs, settings.chunking, deleted=[docs[0].doc_id],
                 embedder=embedder, progress=False)
    updated = Index.load(tmp_path, rs, settings.chunking)
    dense = updated.dense
    assert len(segment_paths(updated.folder)) == 2
    assert len(dense.exact) == dense.index.ntotal == len(vectors) + 1
    query = embedder.encode(["vitamin D hip fracture prevention in older adults"])
    _, rows = dense.search(query, 5)
    assert updated.store.get([int(rows[0, 0])])[0].doc_id == new.doc_id
    _, rows = dense.search(vectors[:3], 50)  # the deleted document's own passages first
    assert gone and not np.isin(rows, gone).any()
    updated.close()

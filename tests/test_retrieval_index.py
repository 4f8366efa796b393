"""Index build, save/load, manifest checks, crash safety and incremental updates."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from corpus.chunking import ChunkSettings
from corpus.errors import IndexBusyError
from corpus.records import Document, Section
from retrieval.dense import DenseIndex, choose_factory
from retrieval.index import Index, build_index, current_version, update_index
from retrieval.manifest import IndexMismatchError
from retrieval.retriever import Filters, Retriever


@pytest.fixture()
def small(pubmedqa_docs, settings, embedder, builtin_embeddings, tmp_path):
    """Twelve real abstracts indexed into a fresh folder."""
    docs = pubmedqa_docs[:12]
    build_index(docs, tmp_path, settings.retrieval, settings.chunking, embedder=embedder,
                embedding_files=builtin_embeddings, progress=False)
    return docs, tmp_path


def test_round_trip_finds_each_document_by_its_title(small, settings, embedder):
    docs, folder = small
    retriever = Retriever.load(folder, settings.retrieval, settings.chunking, embedder=embedder)
    for doc in docs:
        assert retriever.search(doc.title, k=1)[0].passage.doc_id == doc.doc_id


def test_manifest_records_what_the_index_was_built_from(small, embedder):
    docs, folder = small
    manifest = Index.load(folder, _rs(), ChunkSettings()).manifest
    assert manifest.embedder == "all-MiniLM-L6-v2"
    assert manifest.embedder_fingerprint == embedder.fingerprint
    assert manifest.dim == 384
    assert manifest.documents == len(docs)
    assert manifest.index_factory == "Flat"
    assert len(manifest.corpus_fingerprint) == 64


def _rs():
    from retrieval.settings import RetrievalSettings

    return RetrievalSettings()


def test_load_refuses_an_index_built_with_another_embedder(small):
    _, folder = small
    with pytest.raises(IndexMismatchError, match="medchat index build"):
        Index.load(folder, replace(_rs(), embedder="all-mpnet-base-v2"), ChunkSettings())


def test_load_refuses_an_index_built_with_other_chunking(small):
    _, folder = small
    with pytest.raises(IndexMismatchError, match="chunking"):
        Index.load(folder, _rs(), ChunkSettings(max_words=100))


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="medchat index build"):
        Index.load(tmp_path / "nowhere", _rs(), ChunkSettings())


def test_interrupted_build_leaves_the_last_good_index_loadable(small, settings, embedder):
    docs, folder = small
    before = current_version(folder)

    def crashing():
        yield from docs[:3]
        raise KeyboardInterrupt  # the user pressed Ctrl-C mid-build

    with pytest.raises(KeyboardInterrupt):
        build_index(crashing(), folder, settings.retrieval, settings.chunking,
                    embedder=embedder, progress=False)
    assert current_version(folder) == before
    assert [p.name for p in folder.glob("v-*")] == [before.name]
    index = Index.load(folder, settings.retrieval, settings.chunking)
    assert index.manifest.documents == len(docs)


def test_update_adds_new_documents_without_a_full_rebuild(small, settings, embedder):
    docs, folder = small
    new = Document(doc_id="99000001", pmid="99000001", title="Zinc lozenges and the common cold",
                   sections=(Section("RESULTS", "Zinc lozenges shortened colds by two days."),),
                   year=2024)
    manifest = update_index(folder, [new], settings.retrieval, settings.chunking,
                            embedder=embedder, progress=False)
    assert manifest.documents == len(docs) + 1
    retriever = Retriever.load(folder, settings.retrieval, settings.chunking, embedder=embedder)
    for mode in ("dense", "bm25", "hybrid"):
        assert retriever.search("zinc lozenges common cold", k=1, mode=mode)[0].passage.pmid == (
            "99000001"
        )


def test_update_replaces_revised_and_removes_deleted_documents(small, settings, embedder):
    docs, folder = small
    revised = replace(docs[0], title="Revised title about lace plant mitochondria", version=2)
    update_index(folder, [revised], settings.retrieval, settings.chunking,
                 deleted=[docs[1].doc_id], embedder=embedder, progress=False)
    index = Index.load(folder, settings.retrieval, settings.chunking)
    assert docs[1].doc_id not in index.store.doc_ids()
    titles = {p.title for p in index.store.iter_passages() if p.doc_id == docs[0].doc_id}
    assert titles == {revised.title}
    retriever = Retriever(index, embedder, settings.retrieval)
    for mode in ("dense", "bm25", "hybrid"):
        found = {h.passage.doc_id for h in retriever.search(docs[1].title, k=20, mode=mode)}
        assert docs[1].doc_id not in found


def test_year_filter_returns_only_matching_passages(retriever):
    hits = retriever.search("randomized trial outcomes", k=10, filters=Filters(year_min=2014,
                                                                               year_max=2015))
    assert hits and all(2014 <= h.passage.year <= 2015 for h in hits)


def test_mesh_filter_returns_only_passages_with_that_heading(retriever):
    hits = retriever.search("treatment", k=5, filters=Filters(mesh="Humans"))
    assert hits and all("Humans" in h.passage.mesh for h in hits)


def test_filter_matching_nothing_returns_no_hits(retriever):
    assert retriever.search("heart", k=5, filters=Filters(year_min=2100)) == []


def test_flat_index_is_chosen_for_small_corpora_and_ivf_for_large():
    assert choose_factory(50_000, 384) == "Flat"
    assert choose_factory(500_000, 384).startswith("IVF") and choose_factory(
        500_000, 384).endswith(",Flat")
    assert "PQ" in choose_factory(5_000_000, 384)


def test_ivf_index_agrees_with_flat_on_most_neighbours():
    rng = np.random.default_rng(0)  # clustered, like real embeddings
    centres = rng.normal(size=(50, 64))
    vectors = (centres[rng.integers(0, 50, 5000)] + 0.3 * rng.normal(size=(5000, 64)))
    vectors = vectors.astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = np.arange(5000)
    flat = DenseIndex.build(vectors, ids, "Flat")
    ivf = DenseIndex.build(vectors, ids, "IVF64,Flat")
    ivf.set_nprobe(16)
    queries = vectors[:50] + 0.05 * rng.normal(size=(50, 64)).astype(np.float32)
    _, exact = flat.search(queries, 10)
    _, approx = ivf.search(queries, 10)
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(exact, approx, strict=True)])
    assert overlap >= 0.8


@pytest.mark.parametrize("damaged", ["dense.faiss", "passages.sqlite"])
def test_a_damaged_index_file_is_refused_with_the_rebuild_hint(small, settings, damaged):
    _, folder = small
    (current_version(folder) / damaged).write_bytes(b"not what it was")
    with pytest.raises(IndexMismatchError, match="rebuild with `medchat index build`"):
        Index.load(folder, settings.retrieval, settings.chunking)


def test_a_build_while_another_holds_the_lock_is_told_to_wait(small, settings, embedder):
    import fcntl

    docs, folder = small
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with pytest.raises(IndexBusyError, match="wait for it to finish"):
            build_index(docs, folder, settings.retrieval, settings.chunking, embedder=embedder,
                        progress=False)

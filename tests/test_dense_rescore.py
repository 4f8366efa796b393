"""Exact re-scoring: product-quantised candidates ordered again by their full vectors, kept on
disk as memory-mapped float16; and how many inverted lists a query probes."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.dense import DenseIndex, is_lossy, scaled_nprobe
from retrieval.exact_vectors import segment_paths

N, DIM = 4000, 64


@pytest.fixture(scope="module")
def clustered():
    """Clustered unit vectors with many near-identical neighbours (what coarse codes misorder),
    stored as float16 as an index keeps them, and queries near some of them."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, N)] + 0.35 * rng.normal(size=(N, DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors.astype(np.float16).astype(np.float32)
    queries = vectors[:40] + 0.1 * rng.normal(size=(40, DIM))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return vectors, queries.astype(np.float32)


@pytest.fixture(scope="module")
def saved_pq(clustered, tmp_path_factory):
    """An IVF-PQ index over all the vectors, built once and saved (tests load their own copy)."""
    folder = tmp_path_factory.mktemp("pq")
    DenseIndex.build(clustered[0], np.arange(N) + 100, "IVF8,PQ16").save(folder)
    return folder


def _pq(folder) -> DenseIndex:
    dense = DenseIndex.load(folder, "IVF8,PQ16")
    _probe_all(dense)
    return dense


def _probe_all(dense: DenseIndex) -> None:
    """Every list (whatever is lost is lost by the codes), 10 x k candidates re-scored."""
    dense.set_nprobe(8)
    dense.rescore = 10


def test_rescoring_returns_exact_searchs_top_10_where_the_codes_alone_do_not(
    clustered, saved_pq
):
    vectors, queries = clustered
    _, exact = DenseIndex.build(vectors, np.arange(N) + 100, "Flat").search(queries, 10)
    dense = _pq(saved_pq)
    dense.rescore = 0
    _, codes_only = dense.search(queries, 10)
    dense.rescore = 10
    _, rescored = dense.search(queries, 10)
    assert not np.array_equal(codes_only, exact)
    np.testing.assert_array_equal(rescored, exact)


def test_rescored_scores_are_the_exact_inner_products(clustered, saved_pq):
    vectors, queries = clustered
    scores, rows = _pq(saved_pq).search(queries[:5], 10)
    expected = np.einsum("qd,qkd->qk", queries[:5], vectors[rows - 100])
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-6)


def test_only_compressed_indexes_keep_exact_vectors(clustered):
    vectors, _ = clustered
    assert DenseIndex.build(vectors, np.arange(N), "Flat").exact is None
    assert DenseIndex.build(vectors, np.arange(N), "IVF8,Flat").exact is None
    assert DenseIndex.build(vectors[:1000], np.arange(1000), "IVF4,SQ8").exact is not None
    assert is_lossy("IVF16384,PQ96") and is_lossy("IVF4096,SQ8") and not is_lossy("HNSW32")


def test_exact_vectors_are_saved_and_loaded_memory_mapped(clustered, saved_pq, tmp_path):
    vectors, queries = clustered
    dense = DenseIndex.build(vectors, np.arange(N) + 100, "IVF8,PQ16")
    _probe_all(dense)
    before = dense.search(queries, 10)
    dense.save(tmp_path)
    loaded = DenseIndex.load(tmp_path, dense.factory)
    _probe_all(loaded)
    assert [p.name for p in segment_paths(tmp_path)] == ["dense_vectors-00000.npy"]
    assert isinstance(loaded.exact.segments[0], np.memmap)
    assert loaded.exact.segments[0].dtype == np.float16
    for got, want in zip(loaded.search(queries, 10), before, strict=True):
        np.testing.assert_array_equal(got, want)


def test_added_vectors_become_a_new_segment_and_are_rescored(clustered, tmp_path):
    vectors, queries = clustered
    DenseIndex.build(vectors[:3000], np.arange(3000) + 100, "IVF8,PQ16").save(tmp_path)
    loaded = DenseIndex.load(tmp_path, "IVF8,PQ16")
    loaded.add(vectors[3000:], np.arange(3000, N) + 100)
    loaded.save(tmp_path)
    again = DenseIndex.load(tmp_path, "IVF8,PQ16")
    _probe_all(again)
    assert len(segment_paths(tmp_path)) == 2 and len(again.exact) == N
    _, exact = DenseIndex.build(vectors, np.arange(N) + 100, "Flat").search(queries, 10)
    np.testing.assert_array_equal(again.search(queries, 10)[1], exact)


def test_rescoring_never_returns_tombstoned_or_filtered_out_rows(clustered, saved_pq):
    _, queries = clustered
    dense = _pq(saved_pq)
    _, first = dense.search(queries, 10)
    removed = np.unique(first[:, :3])
    dense.remove(removed)
    allowed = np.arange(100, 100 + N, 2)
    _, rows = dense.search(queries, 10, allowed_rows=allowed)
    assert not np.isin(rows, removed).any()
    assert np.isin(rows, allowed).all()


def test_a_load_with_exact_vectors_that_disagree_with_faiss_is_refused(
    clustered, saved_pq, tmp_path
):
    vectors, _ = clustered
    _pq(saved_pq).save(tmp_path)
    np.save(segment_paths(tmp_path)[0], vectors[:10].astype(np.float16))
    with pytest.raises(ValueError, match="exact vectors"):
        DenseIndex.load(tmp_path, "IVF8,PQ16")


def test_nprobe_grows_with_the_square_root_of_the_lists_above_the_setting():
    assert scaled_nprobe(256, 32, 2.0) == 32
    assert scaled_nprobe(1024, 32, 2.0) == 64
    assert scaled_nprobe(16384, 32, 2.0) == 256
    assert scaled_nprobe(16, 32, 2.0) == 16  # never more than there are lists
    assert scaled_nprobe(0, 32, 2.0) == 32  # not an IVF index: the setting as it is

"""The embedding cache file: one writer for index builds and Ray shards, read back exactly."""

import numpy as np

from retrieval.embedding_cache import EmbeddingCache, write_cache_file


def test_saved_vectors_are_found_again_by_their_text(tmp_path):
    cache = EmbeddingCache("fp", 3)
    cache.save(tmp_path / "cache.npz", ["a", "b"], np.array([[1, 0, 0], [0, 1, 0]], np.float32))
    again = EmbeddingCache("fp", 3)
    assert again.load(tmp_path / "cache.npz") == 2
    vectors, missing = again.lookup(["b", "c"])
    assert missing == [1] and vectors[0].tolist() == [0, 1, 0]


def test_a_file_with_nothing_to_embed_is_written_and_read_as_empty(tmp_path):
    path = tmp_path / "shard.npz"
    write_cache_file(path, "fp", np.zeros((0, 16), np.uint8), np.zeros((0, 3), np.float16))
    assert EmbeddingCache("fp", 3).load(path) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["shard.npz"]


def test_a_cache_of_other_weights_is_ignored(tmp_path):
    write_cache_file(tmp_path / "c.npz", "other", np.zeros((1, 16), np.uint8),
                     np.ones((1, 3), np.float16))
    assert EmbeddingCache("fp", 3).load(tmp_path / "c.npz") == 0

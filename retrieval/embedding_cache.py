"""Embeddings remembered by the hash of the text they embed, for one set of embedder weights.

Embedding is the slow part of an index build on a CPU (about 30 passages/s here). The built-in
corpus ships its vectors, and every build saves what it computed, so a rebuild only embeds text
it has never seen. Keys are the first 16 bytes of sha256(text); vectors are stored as float16.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from corpus.files import replacing


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def write_cache_file(path: Path, fingerprint: str, keys: np.ndarray, vectors: np.ndarray) -> None:
    """The one writer of the cache format (fingerprint, 16-byte keys, float16 vectors), atomic:
    a crash leaves the old file. Index builds and Ray shards both write through it."""
    vectors = np.asarray(vectors, dtype=np.float16)
    if vectors.ndim != 2:  # rows handed over flat; an empty (0, dim) block keeps its shape
        vectors = vectors.reshape(len(keys), -1)
    with replacing(path, suffix=".tmp.npz") as tmp:
        np.savez(tmp, fingerprint=np.array(fingerprint), keys=keys.astype(np.uint8).reshape(-1, 16),
                 vectors=vectors)


class EmbeddingCache:
    """Read-mostly lookups over one or more .npz files written by `save`."""

    def __init__(self, fingerprint: str, dim: int) -> None:
        self.fingerprint = fingerprint
        self.dim = dim
        self._rows: dict[bytes, int] = {}
        self._blocks: list[np.ndarray] = []
        self._size = 0

    def __len__(self) -> int:
        return len(self._rows)

    def load(self, path: Path) -> int:
        """Add a cache file if it was made by the same weights; returns vectors added."""
        if not path.exists():
            return 0
        with np.load(path, allow_pickle=False) as data:
            if str(data["fingerprint"]) != self.fingerprint or data["vectors"].shape[1] != self.dim:
                return 0
            keys, vectors = data["keys"], data["vectors"]
        self._add(keys, vectors)
        return len(keys)

    def _add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        block = vectors.astype(np.float16)
        offset = self._size
        for i, key in enumerate(keys):
            self._rows.setdefault(key.tobytes(), offset + i)
        self._blocks.append(block)
        self._size += len(block)

    def add(self, texts: list[str], vectors: np.ndarray) -> None:
        keys = np.frombuffer(b"".join(text_key(t) for t in texts), dtype=np.uint8)
        self._add(keys.reshape(-1, 16), vectors)

    def lookup(self, texts: list[str]) -> tuple[np.ndarray, list[int]]:
        """Vectors for the texts (zeros where unknown) and the indices that were unknown."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        if not self._blocks:
            return out, list(range(len(texts)))
        table = np.concatenate(self._blocks) if len(self._blocks) > 1 else self._blocks[0]
        self._blocks, self._size = [table], len(table)
        for i, text in enumerate(texts):
            row = self._rows.get(text_key(text))
            if row is None:
                missing.append(i)
            else:
                out[i] = table[row]
        return out, missing

    def save(self, path: Path, texts: list[str], vectors: np.ndarray) -> None:
        """Write exactly these texts' vectors, atomically (a crash leaves the old file)."""
        keys = np.frombuffer(b"".join(text_key(t) for t in texts), dtype=np.uint8).reshape(-1, 16)
        write_cache_file(path, self.fingerprint, keys, vectors)

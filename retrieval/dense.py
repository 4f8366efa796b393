"""The dense index: FAISS over normalised embeddings, inner product = cosine similarity.

FAISS positions are 0..n-1 in the order vectors were added; `ids` maps a position to the passage
store's row id. Removed passages are tombstoned (masked at search time) until the next full build,
which keeps incremental updates cheap for every index type, GPU ones included.
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)


# Measured (benchmarks/scale.py, docs/scale.md): MiniLM questions against the built-in corpus's
# 49,864 shipped passage vectors, IVF256 at nprobe 32, recall@10 against exact search: PQ48
# 0.67, PQ96 0.81, SQ8 0.92. PQ96 keeps 96 bytes a vector (30M passages: 2.9 GB, against 46 GB
# flat) at a recall the fused top 5 barely notices; "IVF<n>,SQ8" (384 bytes) is the choice for
# users with the memory.
FLAT_BELOW = 200_000
PQ_FROM = 2_000_000


def choose_factory(n_vectors: int, dim: int) -> str:
    """Exact search while it is cheap; inverted lists, then product quantisation, as n grows."""
    if n_vectors < FLAT_BELOW:
        return "Flat"
    nlist = int(2 ** round(math.log2(4 * math.sqrt(n_vectors))))
    if n_vectors < PQ_FROM:
        return f"IVF{nlist},Flat"
    return f"IVF{nlist},PQ{pq_codes(dim)}"


def pq_codes(dim: int) -> int:
    """Sub-quantisers of 8 bits: one per 4 dimensions (96 for MiniLM's 384, see above)."""
    return next(m for m in (dim // 4, dim // 2, dim) if m and dim % m == 0)


def training_rows(n_vectors: int, index: faiss.Index) -> int:
    """k-means wants at least 39 points per inverted list (FAISS warns below); 100k at least."""
    try:
        nlist = faiss.extract_index_ivf(index).nlist
    except RuntimeError:
        nlist = 0
    return min(n_vectors, max(100_000, 39 * nlist))


def gpu_available() -> bool:
    return hasattr(faiss, "index_cpu_to_all_gpus") and faiss.get_num_gpus() > 0


class DenseIndex:
    def __init__(self, index: faiss.Index, ids: np.ndarray, factory: str) -> None:
        self.index = index
        self.ids = ids.astype(np.int64)
        self.factory = factory
        self.alive = np.ones(len(ids), dtype=bool)
        self.on_gpu = False

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, factory: str = "auto") -> DenseIndex:
        n, dim = vectors.shape
        if n == 0:
            raise ValueError("cannot build an index from zero passages: the corpus is empty")
        if factory == "auto":
            factory = choose_factory(n, dim)
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            _no_polysemous_training(index)
            rng = np.random.default_rng(0)
            sample = vectors[rng.permutation(n)[: training_rows(n, index)]]
            index.train(np.ascontiguousarray(sample, dtype=np.float32))
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, ids, factory)

    def __len__(self) -> int:
        return int(self.alive.sum())

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.ids = np.concatenate([self.ids, ids.astype(np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])

    def remove(self, row_ids: np.ndarray) -> None:
        self.alive &= ~np.isin(self.ids, row_ids)

    def set_nprobe(self, nprobe: int) -> None:
        with contextlib.suppress(RuntimeError):  # not an IVF index
            faiss.extract_index_ivf(self.index).nprobe = nprobe
        if self.on_gpu:
            faiss.GpuParameterSpace().set_index_parameter(self.index, "nprobe", nprobe)

    def to_gpu(self) -> bool:
        """Move the index to all GPUs when the installed FAISS has GPU support."""
        if self.on_gpu or not gpu_available():
            return self.on_gpu
        self.index = faiss.index_cpu_to_all_gpus(self.index)
        self.on_gpu = True
        return True

    def search(
        self, queries: np.ndarray, k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) per query; row id -1 pads short results.

        `allowed_rows` (store row ids) restricts the search; on the CPU FAISS applies it with an
        ID selector inside the scan, on the GPU results are over-fetched and masked.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        mask = self.alive
        if allowed_rows is not None:
            mask = mask & np.isin(self.ids, allowed_rows)
        restricted = not mask.all()
        k_eff = min(k, int(mask.sum()))
        if k_eff == 0:
            return np.zeros((len(queries), k), np.float32), np.full((len(queries), k), -1)
        if restricted and not self.on_gpu:
            sel = faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))
            params = faiss.SearchParameters(sel=sel)
            try:
                ivf = faiss.extract_index_ivf(self.index)
                params = faiss.SearchParametersIVF(sel=sel, nprobe=ivf.nprobe)
            except RuntimeError:
                pass
            scores, pos = self.index.search(queries, k_eff, params=params)
        else:
            fetch = k_eff if not restricted else min(self.index.ntotal, k_eff * 4 + 64)
            scores, pos = self.index.search(queries, fetch)
            if restricted:
                scores, pos = _mask_results(scores, pos, mask, k_eff)
        rows = np.where(pos >= 0, self.ids[np.clip(pos, 0, None)], -1)
        if k_eff < k:
            pad = k - k_eff
            scores = np.pad(scores, ((0, 0), (0, pad)))
            rows = np.pad(rows, ((0, 0), (0, pad)), constant_values=-1)
        return scores, rows

    def save(self, folder: Path) -> None:
        index = faiss.index_gpu_to_cpu(self.index) if self.on_gpu else self.index
        faiss.write_index(index, str(folder / "dense.faiss"))
        np.save(folder / "dense_ids.npy", self.ids)
        np.save(folder / "dense_alive.npy", self.alive)

    @classmethod
    def load(cls, folder: Path, factory: str) -> DenseIndex:
        dense = cls(
            faiss.read_index(str(folder / "dense.faiss")),
            np.load(folder / "dense_ids.npy"),
            factory,
        )
        dense.alive = np.load(folder / "dense_alive.npy")
        return dense


def _no_polysemous_training(index: faiss.Index) -> None:
    """IVF-PQ trains polysemous codes by default: minutes on a CPU for a search mode medchat never
    uses (measured: a 10k-vector PQ48 training did not finish in 5 min with it, 10 s without)."""
    with contextlib.suppress(RuntimeError):
        ivf = faiss.downcast_index(faiss.extract_index_ivf(index))
        if hasattr(ivf, "do_polysemous_training"):
            ivf.do_polysemous_training = False


def _mask_results(
    scores: np.ndarray, pos: np.ndarray, mask: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    out_s = np.zeros((len(pos), k), np.float32)
    out_p = np.full((len(pos), k), -1, np.int64)
    for i in range(len(pos)):
        keep = (pos[i] >= 0) & mask[np.clip(pos[i], 0, None)]
        s, p = scores[i][keep][:k], pos[i][keep][:k]
        out_s[i, : len(s)], out_p[i, : len(p)] = s, p
    return out_s, out_p

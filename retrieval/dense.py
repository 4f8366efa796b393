"""The dense index: FAISS over normalised embeddings, inner product = cosine similarity.

FAISS positions are 0..n-1 in the order vectors were added; `ids` maps a position to the passage
store's row id. Removed passages are tombstoned (masked at search time) until the next full build,
which keeps incremental updates cheap for every index type, GPU ones included. Indexes with
compressed codes (IVF-PQ, SQ) keep the float16 vectors on disk (`retrieval.exact_vectors`) and
re-score their top candidates exactly; IVF indexes probe a share of their lists (`scaled_nprobe`).
"""

from __future__ import annotations

import contextlib
import logging
import math
from pathlib import Path

import faiss
import numpy as np

from retrieval.exact_vectors import ExactVectors, segment_path, segment_paths
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)


# Measured (benchmarks/scale.py, docs/scale.md): MiniLM questions against the built-in corpus's
# 49,864 shipped passage vectors, IVF256 at nprobe 32, recall@10 against exact search: PQ48
# 0.67, PQ96 0.81, SQ8 0.92. PQ96 keeps 96 bytes a vector (30M passages: 2.9 GB, against 46 GB
# flat) at a recall the fused top 5 barely notices; "IVF<n>,SQ8" (384 bytes) is the choice for
# users with the memory.
FLAT_BELOW = 200_000
PQ_FROM = 2_000_000
ADD_BLOCK = 65_536  # vectors added to FAISS at a time: 96 MB of float32 at 384 dimensions
# Candidates re-scored exactly per result wanted, for indexes with compressed codes: see
# docs/scale.md ("Exact re-scoring") for recall@10 and QPS against the factor.
RESCORE = RetrievalSettings().rescore  # the default lives in retrieval/settings.py
# Lists probed per square root of the number of lists (at least the `nprobe` setting).
# Measured (benchmarks/nprobe.py): real MiniLM questions against the built-in corpus's 49,864
# passage vectors, share of the exact top 10 in the probed lists at 2 x sqrt(nlist) probes:
# nlist 64: 0.947, 256: 0.919, 1024: 0.938; at a fixed 32 it falls (0.996, 0.919, 0.887), at
# a fixed 1/16 of the lists it climbs (0.731, 0.840, 0.938) at a cost linear in nlist.
NPROBE_SCALE = RetrievalSettings().nprobe_scale  # the default lives in retrieval/settings.py


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


def is_lossy(factory: str) -> bool:
    """Whether the index keeps compressed codes (PQ, SQ, ...) rather than the vectors themselves:
    only then is re-scoring against the exact vectors worth their disk."""
    return any(code in factory for code in ("PQ", "SQ", "LSH", "RQ"))


def scaled_nprobe(nlist: int, floor: int, scale: float = NPROBE_SCALE) -> int:
    """Inverted lists to probe: `scale` x sqrt(nlist), at least `floor`, at most all of them.

    A fixed nprobe loses recall as nlist grows with the corpus, a fixed share of the lists
    gains it at a cost that grows linearly; the square root held recall@10 near 0.92-0.95 from
    64 to 1,024 lists on real vectors (see NPROBE_SCALE).
    """
    if nlist <= 0:
        return floor
    return max(1, min(nlist, max(floor, math.ceil(scale * math.sqrt(nlist)))))


class DenseIndex:
    """A FAISS index, the store row id of each of its positions, tombstones, and (for
    compressed codes) the exact vectors on disk that its candidates are re-scored with."""

    def __init__(
        self, index: faiss.Index, ids: np.ndarray, factory: str,
        exact: ExactVectors | None = None,
    ) -> None:
        self.index = index
        self.ids = ids.astype(np.int64)
        self.factory = factory
        self.exact = exact
        self.rescore = RESCORE
        self.alive = np.ones(len(ids), dtype=bool)
        self._live = len(ids)
        self.on_gpu = False
        try:
            self.nlist = int(faiss.extract_index_ivf(index).nlist)
        except RuntimeError:
            self.nlist = 0

    @classmethod
    def build(cls, vectors: np.ndarray, ids: np.ndarray, factory: str = "auto") -> DenseIndex:
        """Train on a sample and add in blocks: `vectors` may be a memory-mapped float16 file
        (the streaming build), so float32 copies of all of them never exist at once. For a
        lossy factory `vectors` become the exact vectors candidates are re-scored with."""
        n, dim = vectors.shape
        if n == 0:
            raise ValueError("cannot build an index from zero passages: the corpus is empty")
        if factory == "auto":
            factory = choose_factory(n, dim)
        index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
        if not index.is_trained:
            _no_polysemous_training(index)
            rng = np.random.default_rng(0)
            sample = rng.permutation(n)[: training_rows(n, index)]
            index.train(_gather(vectors, sample))
        for start in range(0, n, ADD_BLOCK):
            index.add(np.ascontiguousarray(vectors[start : start + ADD_BLOCK], dtype=np.float32))
        exact = ExactVectors([vectors]) if is_lossy(factory) else None
        return cls(index, ids, factory, exact)

    def __len__(self) -> int:
        return self._live

    @property
    def rescoring(self) -> bool:
        return self.exact is not None and self.rescore > 0

    def add(self, vectors: np.ndarray, ids: np.ndarray) -> None:
        self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self.ids = np.concatenate([self.ids, ids.astype(np.int64)])
        self.alive = np.concatenate([self.alive, np.ones(len(ids), dtype=bool)])
        self._live += len(ids)
        if self.exact is not None and len(vectors):
            self.exact = ExactVectors([*self.exact.segments, vectors.astype(np.float16)])

    def remove(self, row_ids: np.ndarray) -> None:
        self.alive &= ~np.isin(self.ids, row_ids)
        self._live = int(self.alive.sum())

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
        ID selector inside the scan, on the GPU results are over-fetched and masked. With exact
        vectors, the top k x `rescore` candidates are re-scored exactly and the best k kept.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        mask = None if self._live == len(self.alive) else self.alive
        if allowed_rows is not None:
            mask = (self.alive if mask is None else mask) & np.isin(self.ids, allowed_rows)
        live = self._live if mask is None else int(mask.sum())
        k_eff = min(k, live)
        if k_eff == 0:
            return np.zeros((len(queries), k), np.float32), np.full((len(queries), k), -1)
        fetch = min(live, k_eff * self.rescore) if self.rescoring else k_eff
        scores, pos = self._candidates(queries, max(fetch, k_eff), mask)
        if self.rescoring:
            scores, pos = self._rescored(queries, pos, k_eff)
        rows = np.where(pos >= 0, self.ids[np.clip(pos, 0, None)], -1)
        if k_eff < k:
            pad = k - k_eff
            scores = np.pad(scores, ((0, 0), (0, pad)))
            rows = np.pad(rows, ((0, 0), (0, pad)), constant_values=-1)
        return scores, rows

    def _candidates(
        self, queries: np.ndarray, k: int, mask: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """FAISS's top k (scores, positions) among the positions the mask allows."""
        if mask is None:
            return self.index.search(queries, k)
        if not self.on_gpu:
            sel = faiss.IDSelectorBitmap(np.packbits(mask, bitorder="little"))
            params = faiss.SearchParameters(sel=sel)
            with contextlib.suppress(RuntimeError):  # not an IVF index
                ivf = faiss.extract_index_ivf(self.index)
                params = faiss.SearchParametersIVF(sel=sel, nprobe=ivf.nprobe)
            return self.index.search(queries, k, params=params)
        scores, pos = self.index.search(queries, min(self.index.ntotal, k * 4 + 64))
        return _mask_results(scores, pos, mask, k)

    def _rescored(
        self, queries: np.ndarray, pos: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The candidates' exact inner products, best k first (-1 positions stay last)."""
        valid = pos >= 0
        unique = np.unique(pos[valid])
        vectors = self.exact.rows(unique)
        slot = np.searchsorted(unique, np.clip(pos, 0, None))
        scores = np.full(pos.shape, -np.inf, dtype=np.float32)
        for i, query in enumerate(queries):
            keep = valid[i]
            scores[i, keep] = vectors[slot[i, keep]] @ query
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        scores = np.take_along_axis(scores, order, axis=1)
        pos = np.take_along_axis(pos, order, axis=1)
        missing = ~np.isfinite(scores)
        return np.where(missing, 0.0, scores).astype(np.float32), np.where(missing, -1, pos)

    def save(self, folder: Path) -> None:
        """FAISS, ids and tombstones; exact vectors not yet in the folder become new segments
        (an update's), and segments of a non-lossy index (a build's stream buffer) go."""
        index = faiss.index_gpu_to_cpu(self.index) if self.on_gpu else self.index
        faiss.write_index(index, str(folder / "dense.faiss"))
        np.save(folder / "dense_ids.npy", self.ids)
        np.save(folder / "dense_alive.npy", self.alive)
        segments = [] if self.exact is None else self.exact.segments
        for number, segment in enumerate(segments):
            target = segment_path(folder, number)
            if not _backed_by(segment, target):
                np.save(target, np.asarray(segment, dtype=np.float16))
        for stale in segment_paths(folder)[len(segments):]:
            stale.unlink()

    @classmethod
    def load(cls, folder: Path, factory: str) -> DenseIndex:
        index = faiss.read_index(str(folder / "dense.faiss"))
        exact = ExactVectors.load(folder)
        if exact is not None and len(exact) != index.ntotal:
            raise ValueError(
                f"exact vectors hold {len(exact)} rows, the FAISS index {index.ntotal}"
            )
        dense = cls(index, np.load(folder / "dense_ids.npy"), factory, exact)
        dense.alive = np.load(folder / "dense_alive.npy")
        dense._live = int(dense.alive.sum())
        return dense


def _gather(vectors: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """float32 rows at these positions, in this order, read from the file in ascending order."""
    order = np.argsort(positions, kind="stable")
    out = np.empty((len(positions), vectors.shape[1]), dtype=np.float32)
    out[order] = vectors[positions[order]]
    return out


def _backed_by(segment: np.ndarray, path: Path) -> bool:
    """Whether the segment is a memory map of exactly this file (nothing to write)."""
    name = getattr(segment, "filename", None)
    return name is not None and path.exists() and Path(name).resolve() == path.resolve()


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

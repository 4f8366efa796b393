"""Full-precision copies of the dense index's vectors, on disk, for exact re-scoring.

Product-quantised codes find the right neighbours but order near-identical ones wrongly (5M
synthetic vectors, IVF-PQ96: 97 % of the true top 10 among 50 candidates, 49 % in the top 10;
docs/scale.md). Scoring the candidates again against the real vectors recovers the order. The
vectors stay on disk as float16 `.npy` segments, memory-mapped: 30M x 384 is 23 GB of disk and
only the pages that queries touch in RAM. Segments are immutable once written (a build writes
one, each incremental update appends one), so a new index version can hard-link them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np

PREFIX = "dense_vectors-"


def segment_path(folder: Path, number: int) -> Path:
    return folder / f"{PREFIX}{number:05d}.npy"


def segment_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{PREFIX}*.npy"))


def create_segment(folder: Path, rows: int, dim: int) -> np.memmap:
    """A new float16 segment after the existing ones, memory-mapped for writing."""
    number = len(segment_paths(folder))
    return np.lib.format.open_memmap(
        segment_path(folder, number), mode="w+", dtype=np.float16, shape=(rows, dim)
    )


def write_segment(folder: Path, vectors: np.ndarray) -> None:
    """Append the vectors as a new segment (an incremental update's new passages)."""
    if len(vectors):
        np.save(segment_path(folder, len(segment_paths(folder))), vectors.astype(np.float16))


def link_segments(source: Path, target: Path) -> None:
    """Give a new version the live one's segments without copying gigabytes (they never
    change after being written, so sharing the file is safe); copies across file systems."""
    for path in segment_paths(source):
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copy2(path, target / path.name)


class ExactVectors:
    """Read-only row access to the segments of one index version, in FAISS position order."""

    def __init__(self, segments: list[np.ndarray]) -> None:
        self.segments = segments
        self.offsets = np.cumsum([0, *(len(s) for s in segments)])

    @classmethod
    def load(cls, folder: Path) -> ExactVectors | None:
        """The folder's segments, memory-mapped; None where the index was built without them."""
        paths = segment_paths(folder)
        if not paths:
            return None
        return cls([np.load(p, mmap_mode="r") for p in paths])

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def rows(self, positions: np.ndarray) -> np.ndarray:
        """float32 copies of the rows at these positions (any order; read segment by segment,
        each in ascending order, so the disk is read forwards)."""
        positions = np.asarray(positions, dtype=np.int64)
        dim = self.segments[0].shape[1]
        out = np.empty((len(positions), dim), dtype=np.float32)
        order = np.argsort(positions, kind="stable")
        ordered = positions[order]
        for seg, (lo, hi) in zip(self.segments, self._bounds(), strict=True):
            a, b = np.searchsorted(ordered, [lo, hi])
            if a < b:
                out[order[a:b]] = seg[ordered[a:b] - lo]
        return out

    def _bounds(self) -> Iterator[tuple[int, int]]:
        return zip(self.offsets[:-1].tolist(), self.offsets[1:].tolist(), strict=True)

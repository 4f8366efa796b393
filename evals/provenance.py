"""What a result depends on: library versions and fingerprints of the input files."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path

from corpus.files import sha256_file

PACKAGES = ("torch", "transformers", "sentence-transformers", "faiss-cpu", "numpy", "bm25s")


def fingerprints(paths: list[str | Path]) -> dict[str, str]:
    """sha256 of each input file, keyed by the path as given."""
    return {str(p): sha256_file(p) for p in paths}


def versions() -> dict[str, str | None]:
    """Python and the numerical libraries whose versions can move a metric (None: not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        key = "faiss" if name == "faiss-cpu" else name
        try:
            found[key] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[key] = None
    return found

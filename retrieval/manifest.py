"""What an index was built from, so a mismatched load fails with a fix instead of bad results."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from corpus.errors import IndexMismatchError

FORMAT = 1


@dataclass(frozen=True)
class Manifest:
    embedder: str
    embedder_fingerprint: str
    dim: int
    index_factory: str
    passages: int
    documents: int
    corpus_fingerprint: str
    chunking: dict
    faiss_version: str
    bm25s_version: str
    created_at: str
    updated_at: str
    sources: dict = field(default_factory=dict)
    format: int = FORMAT

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (OSError, ValueError, TypeError) as exc:
            raise IndexMismatchError(
                f"{path}: unreadable index manifest ({exc}); rebuild with `medchat index build`"
            ) from exc

    def check(self, embedder: str, chunking: dict | None = None) -> None:
        """Refuse an index built by another embedder or chunking than the settings ask for."""
        problems = []
        if self.format != FORMAT:
            problems.append(f"index format {self.format}, this medchat reads {FORMAT}")
        if embedder != self.embedder:
            problems.append(f"built with embedder {self.embedder!r}, settings ask for {embedder!r}")
        if chunking is not None and chunking != self.chunking:
            problems.append(f"built with chunking {self.chunking}, settings ask for {chunking}")
        if problems:
            raise IndexMismatchError(
                "the index does not match the settings: "
                + "; ".join(problems)
                + ". Rebuild it with `medchat index build` (or change the settings back)."
            )

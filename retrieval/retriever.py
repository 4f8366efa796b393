"""Search: dense, BM25 or their reciprocal-rank fusion, optionally reranked: the reranker's order
of the top n blended with the first stage's (`rerank_weight`)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from corpus.chunking import ChunkSettings
from corpus.records import Passage
from retrieval.embedder import Embedder
from retrieval.fusion import blend_reranked, reciprocal_rank_fusion
from retrieval.hits import Hit
from retrieval.index import Index
from retrieval.manifest import IndexMismatchError
from retrieval.query import QueryError, check_query
from retrieval.settings import MODES, RetrievalSettings

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Filters:
    """Metadata restrictions; None means no restriction."""

    year_min: int | None = None
    year_max: int | None = None
    publication_type: str | tuple[str, ...] | None = None
    mesh: str | tuple[str, ...] | None = None

    def is_empty(self) -> bool:
        return all(v in (None, "", ()) for v in vars(self).values())


class Retriever:
    def __init__(
        self,
        index: Index,
        embedder: Embedder,
        settings: RetrievalSettings,
        reranker: object | None = None,
    ) -> None:
        if embedder.fingerprint != index.manifest.embedder_fingerprint:
            raise IndexMismatchError(
                f"the index was built with other weights for {index.manifest.embedder!r}; "
                "rebuild it with `medchat index build`"
            )
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.reranker = reranker
        if settings.device != "cpu" and index.dense.to_gpu():
            log.info("dense index moved to the GPU")

    @classmethod
    def load(
        cls,
        index_dir: str | Path,
        settings: RetrievalSettings,
        chunking: ChunkSettings = ChunkSettings(),
        embedder: Embedder | None = None,
        model_cache: Path | None = None,
    ) -> Retriever:
        index = Index.load(Path(index_dir), settings, chunking)
        embedder = embedder or Embedder(
            settings.embedder, settings.device, model_cache, settings.batch_size
        )
        reranker = None
        if settings.reranker:
            from retrieval.rerank import Reranker

            reranker = Reranker(settings.reranker, settings.device, model_cache)
        return cls(index, embedder, settings, reranker)

    def document(self, doc_id: str) -> list[Passage]:
        """Every passage of one indexed document, in reading order."""
        return self.index.store.document(doc_id)

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: str | None = None,
        filters: Filters | None = None,
        rerank: bool | None = None,
    ) -> list[Hit]:
        return self.search_many([query], k, mode, filters, rerank)[0]

    def search_many(
        self,
        queries: list[str],
        k: int | None = None,
        mode: str | None = None,
        filters: Filters | None = None,
        rerank: bool | None = None,
    ) -> list[list[Hit]]:
        """Top-k hits per query, best first; batched so evaluations embed queries together.

        `rerank` None: rerank when a reranker is loaded; False skips it (for a same-run baseline).
        """
        mode = mode or self.settings.mode
        if mode not in MODES:
            raise QueryError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        k = k or self.settings.top_k
        queries = [check_query(q) for q in queries]
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = self.index.store.ids_matching(
                filters.year_min, filters.year_max, filters.publication_type, filters.mesh
            )
        if rerank and self.reranker is None:
            raise QueryError("no reranker is loaded; set retrieval.reranker in the settings")
        rerank = self.reranker is not None if rerank is None else rerank
        fetch = max(k, self.settings.fetch_k)
        if rerank:
            fetch = max(fetch, self.settings.rerank_top_n)
        runs: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if mode in ("dense", "hybrid"):
            runs["dense"] = self.index.dense.search(
                self.embedder.encode(queries), fetch, allowed
            )
        if mode in ("bm25", "hybrid"):
            runs["bm25"] = self.index.lexical.search(queries, fetch, allowed)
        results = []
        for qi, query in enumerate(queries):
            per_method = {
                name: {int(r): float(s) for s, r in zip(sc[qi], rows[qi], strict=True) if r >= 0}
                for name, (sc, rows) in runs.items()
            }
            if mode == "hybrid":
                fused = reciprocal_rank_fusion(
                    [list(per_method["dense"]), list(per_method["bm25"])],
                    [self.settings.dense_weight, self.settings.bm25_weight],
                    self.settings.rrf_k,
                )
            else:
                fused = list(per_method[mode].items())
            if rerank:
                top_n = self.settings.rerank_top_n
                per_method["rerank"] = self._rerank_scores(query, fused[:top_n])
                fused = self._blend(fused[:top_n], per_method["rerank"]) + fused[top_n:]
            results.append(self._hits(fused[:k], per_method))
        return results

    def _rerank_scores(self, query: str, fused: list[tuple[int, float]]) -> dict[int, float]:
        """The reranker's score of each of the first-stage top n (kept in `Hit.scores`)."""
        rows = [row for row, _ in fused]
        scores = self.reranker.score(query, [p.text for p in self.index.store.get(rows)])
        return {row: float(s) for row, s in zip(rows, scores, strict=True)}

    def _blend(self, fused: list[tuple[int, float]], scores: dict[int, float]
               ) -> list[tuple[int, float]]:
        """The top n in their final order: first stage and reranker blended by their ranks at
        `rerank_weight`; the hits past the top n keep their order, below them."""
        rows = [row for row, _ in fused]
        return blend_reranked(rows, [scores[r] for r in rows], self.settings.rerank_weight,
                              self.settings.rrf_k)

    def _hits(
        self, ranked: list[tuple[int, float]], per_method: dict[str, dict[int, float]]
    ) -> list[Hit]:
        passages = self.index.store.get([row for row, _ in ranked])
        return [
            Hit(
                passage=p,
                score=score,
                rank=rank,
                scores={m: s[row] for m, s in per_method.items() if row in s},
            )
            for rank, (p, (row, score)) in enumerate(zip(passages, ranked, strict=True), 1)
        ]

"""The lexical index: BM25 (bm25s) over the same passages and row ids as the dense index.

Dense retrievers lose exact matches (drug names, trial acronyms, gene symbols); BM25 keeps them.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

_STEMMER = "english"


def _tokenize(texts: list[str]) -> list[list[str]]:
    stemmer = Stemmer.Stemmer(_STEMMER)
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=stemmer, return_ids=False, show_progress=False
    )


class LexicalIndex:
    def __init__(self, model: bm25s.BM25, ids: np.ndarray) -> None:
        self.model = model
        self.ids = ids.astype(np.int64)
        self.alive = np.ones(len(ids), dtype=bool)
        self._vocab = set(model.vocab_dict)

    @classmethod
    def build(cls, texts: list[str], ids: np.ndarray) -> LexicalIndex:
        if not texts:
            raise ValueError("cannot build a BM25 index from zero passages")
        model = bm25s.BM25()
        model.index(_tokenize(texts), show_progress=False)
        return cls(model, ids)

    def __len__(self) -> int:
        return int(self.alive.sum())

    def remove(self, row_ids: np.ndarray) -> None:
        self.alive &= ~np.isin(self.ids, row_ids)

    def search(
        self, queries: list[str], k: int, allowed_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) per query; -1 pads, and so does a query with no known term."""
        mask = self.alive if allowed_rows is None else self.alive & np.isin(self.ids, allowed_rows)
        n_ok = int(mask.sum())
        out_s = np.zeros((len(queries), k), np.float32)
        out_r = np.full((len(queries), k), -1, np.int64)
        if n_ok == 0:
            return out_s, out_r
        k_eff = min(k, n_ok)
        weight_mask = None if mask.all() else mask.astype(np.float32)
        for i, tokens in enumerate(_tokenize(queries)):
            tokens = [t for t in tokens if t in self._vocab]
            if not tokens:
                continue
            pos, scores = self.model.retrieve(
                [tokens], k=k_eff, show_progress=False, weight_mask=weight_mask, n_threads=1
            )
            keep = scores[0] > 0
            n = int(keep.sum())
            out_s[i, :n] = scores[0][keep]
            out_r[i, :n] = self.ids[pos[0][keep]]
        return out_s, out_r

    def save(self, folder: Path) -> None:
        self.model.save(str(folder / "bm25"), show_progress=False)
        np.save(folder / "bm25_ids.npy", self.ids)
        np.save(folder / "bm25_alive.npy", self.alive)
        (folder / "bm25" / "medchat.json").write_text(json.dumps({"stemmer": _STEMMER}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        model = bm25s.BM25.load(str(folder / "bm25"), show_progress=False)
        index = cls(model, np.load(folder / "bm25_ids.npy"))
        index.alive = np.load(folder / "bm25_alive.npy")
        return index

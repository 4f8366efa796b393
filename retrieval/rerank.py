"""Optional second stage: rescore the fused top n with a model that reads each passage again.

Two kinds, told apart by the model folder: a cross-encoder (a sentence-transformers CrossEncoder:
question and passage read together, one relevance logit) or a bi-encoder re-scorer (a
SentenceTransformer, e.g. one `medchat reranker train --kind bi-encoder` fine-tuned: the cosine of
question and passage embedded on the fly). The index's own vectors are never touched.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from retrieval.embedder import Embedder, load_dtype, pick_device
from retrieval.weights import DEFAULT_CACHE, resolve

KINDS = ("cross-encoder", "bi-encoder")


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def model_kind(path: str) -> str:
    """"cross-encoder" for a CrossEncoder / sequence-classification folder, else "bi-encoder";
    a name that is not a local folder is taken as a CrossEncoder id."""
    folder = Path(path)
    if not folder.is_dir():
        return "cross-encoder"
    if _json(folder / "config_sentence_transformers.json").get("model_type") == "CrossEncoder":
        return "cross-encoder"
    architectures = _json(folder / "config.json").get("architectures") or []
    if any(a.endswith("ForSequenceClassification") for a in architectures):
        return "cross-encoder"
    return "bi-encoder"


class Reranker:
    """Any sentence-transformers CrossEncoder or SentenceTransformer id or folder (local files)."""

    def __init__(self, model: str, device: str = "auto", cache_dir: Path | None = None) -> None:
        self.name = model
        path = resolve(model, cache_dir or DEFAULT_CACHE)
        self.kind = model_kind(path)
        device = pick_device(device)
        if self.kind == "bi-encoder":
            self.model = Embedder(model, device, cache_dir)
        else:
            from sentence_transformers import CrossEncoder

            self.model = CrossEncoder(path, device=device, local_files_only=True,
                                      model_kwargs={"dtype": load_dtype(device)})

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        """Higher is more relevant; comparable within one query's list only."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        if self.kind == "bi-encoder":
            vectors = self.model.encode([query, *texts])
            return vectors[1:] @ vectors[0]
        return np.asarray(self.model.predict([(query, t) for t in texts]), dtype=np.float32)

"""Optional second stage: a cross-encoder reads query and passage together and rescores."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from retrieval.embedder import pick_device
from retrieval.weights import DEFAULT_CACHE, resolve


class Reranker:
    """Any sentence-transformers CrossEncoder id or folder (loaded from local files only)."""

    def __init__(self, model: str, device: str = "auto", cache_dir: Path | None = None) -> None:
        import torch
        from sentence_transformers import CrossEncoder

        self.name = model
        path = resolve(model, cache_dir or DEFAULT_CACHE)
        device = pick_device(device)
        # medchat's trained rerankers ship float16 weights; CPUs compute in float32
        dtype = torch.float16 if device.startswith("cuda") else torch.float32
        self.model = CrossEncoder(path, device=device, local_files_only=True,
                                  model_kwargs={"dtype": dtype})

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros(0, dtype=np.float32)
        return np.asarray(self.model.predict([(query, t) for t in texts]), dtype=np.float32)

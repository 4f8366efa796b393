"""Sentence embeddings for passages and queries, over sentence-transformers."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from retrieval.weights import DEFAULT_CACHE, resolve, weights_fingerprint

log = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> str:
    """'auto' means CUDA when torch sees a GPU, else CPU."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_dtype(device: str):
    """float32 on CPU, whatever the file stores (medchat ships float16 fine-tuned weights, and
    CPUs compute float16 slowly); as stored on a GPU."""
    import torch

    return "auto" if device.startswith("cuda") else torch.float32


class Embedder:
    """Maps text to L2-normalised float32 vectors, so inner product is cosine similarity.

    `model` is a packaged model name (e.g. "all-MiniLM-L6-v2", verified before loading), a local
    folder, or a Hugging Face id already in the local cache (nothing is downloaded).
    """

    def __init__(
        self,
        model: str = "all-MiniLM-L6-v2",
        device: str = "auto",
        cache_dir: Path | None = None,
        batch_size: int = 64,
    ) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = model
        self.device = pick_device(device)
        self.batch_size = batch_size
        path = resolve(model, cache_dir or DEFAULT_CACHE)
        try:
            self.model = SentenceTransformer(path, device=self.device, local_files_only=True,
                                             model_kwargs={"dtype": load_dtype(self.device)})
        except OSError as exc:
            raise OSError(
                f"could not load embedder {model!r} from local files: {exc}. Use a packaged "
                "name (all-MiniLM-L6-v2), a local model folder, or a Hugging Face id you "
                "have downloaded before."
            ) from exc
        self.fingerprint = weights_fingerprint(model, path)
        self.dim = int(self.model.get_embedding_dimension())

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

"""Optional second stage: rescore the fused top n with a model that reads each passage again.

Two kinds, told apart by the model folder: a cross-encoder (a sentence-transformers CrossEncoder:
question and passage read together, one relevance logit) or a bi-encoder re-scorer (a
SentenceTransformer, e.g. one `medchat reranker train --kind bi-encoder` fine-tuned: the cosine of
question and passage embedded on the fly). The index's own vectors are never touched.
A bi-encoder may also be a LoRA adapter folder (`reranker.json` names its base model), so a
trained reranker ships in about a megabyte over the verified packaged weights.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from retrieval.embedder import Embedder, load_dtype, pick_device
from retrieval.weights import DEFAULT_CACHE, resolve

KINDS = ("cross-encoder", "bi-encoder")
ADAPTER_CONFIG = "reranker.json"  # marks a folder holding only an adapter, and names its base


def lora_config(rank: int):
    from peft import LoraConfig

    return LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1,
                      target_modules=["query", "key", "value", "dense"])


def apply_adapter(model, folder: Path) -> None:
    """Load a saved adapter into a SentenceTransformer (its own adapter API) and merge it into
    the base weights, so inference runs as fast as without LoRA."""
    from peft.tuners.lora import LoraLayer

    model.load_adapter(str(folder))
    for module in model.modules():
        if isinstance(module, LoraLayer):
            module.merge()
    model.eval()


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.is_file() else {}


def model_kind(path: str) -> str:
    """"cross-encoder" for a CrossEncoder / sequence-classification folder, else "bi-encoder";
    a name that is not a local folder is taken as a CrossEncoder id."""
    folder = Path(path)
    if not folder.is_dir():
        return "cross-encoder"
    if (folder / ADAPTER_CONFIG).is_file():
        return _json(folder / ADAPTER_CONFIG)["kind"]
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
        adapter = _json(Path(path) / ADAPTER_CONFIG)
        if adapter:  # a LoRA adapter over packaged (sha256-verified) or local base weights
            self.model = Embedder(adapter["base"], device, cache_dir)
            self.model.model.max_seq_length = adapter.get("max_length", 256)
            apply_adapter(self.model.model, Path(path))
        elif self.kind == "bi-encoder":
            self.model = Embedder(model, device, cache_dir)
        else:
            from sentence_transformers import CrossEncoder

            try:
                self.model = CrossEncoder(path, device=device, local_files_only=True,
                                          model_kwargs={"dtype": load_dtype(device)})
            except OSError as exc:
                raise OSError(
                    f"could not load reranker {model!r} from local files ({exc}). Use the "
                    "shipped medchat-rerank-minilm, a local model folder, a Hugging Face id you "
                    "have downloaded before, or reranker = \"\" to switch reranking off."
                ) from exc

    def score(self, query: str, texts: list[str]) -> np.ndarray:
        """Higher is more relevant; comparable within one query's list only."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        if self.kind == "bi-encoder":
            vectors = self.model.encode([query, *texts])
            return vectors[1:] @ vectors[0]
        return np.asarray(self.model.predict([(query, t) for t in texts]), dtype=np.float32)

"""The system under test, built from medchat's settings: the one place evals imports the
retrieval and assistant packages (lazily, so `--help`, `compare` and the tests stay light)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.corpusdata import CorpusData, cache_key


@dataclass
class System:
    settings: Any  # assistant.settings.Settings
    progress: bool = True
    _retrievers: dict[Path, Any] = field(default_factory=dict)
    _assistants: dict[Path, Any] = field(default_factory=dict)
    _generator: Any = None
    _embedder: Any = None
    _layers: Any = None

    @classmethod
    def load(cls, config: Path | None, mode: str | None, progress: bool = True,
             reranker: str | None = None) -> System:
        """medchat's settings; `mode` and `reranker` (a CrossEncoder folder / id) override them
        as command-line options do for `medchat`."""
        from assistant.settings import command_line, load_settings

        options = {"mode": mode, "reranker": reranker}
        return cls(load_settings(config, overrides=command_line(options)), progress)

    @property
    def mode(self) -> str:
        return self.settings.retrieval.mode

    def models(self) -> dict[str, str]:
        from assistant.generator import resolved

        generator = resolved(self.settings.generator)  # the adapter "auto" chose, if any
        return {"embedder": self.settings.retrieval.embedder,
                "reranker": self.settings.retrieval.reranker or None,
                "generator": f"{generator.model} ({generator.backend}"
                             + (f", adapter {generator.adapter})" if generator.adapter else ")"),
                "triage_signs": self.settings.triage.signs or None,
                "triage_urgency": self.settings.triage.urgency or None}

    # --- indexes ---------------------------------------------------------------------------

    def cache_dir(self, corpus: CorpusData) -> Path:
        """`<home>/eval-cache/<key>`: apart from the default index, shared by runs that agree on
        corpus content, embedder, index factory and chunking."""
        r = self.settings.retrieval
        key = cache_key(corpus.fingerprint, r.embedder, r.index_factory, self.settings.chunking)
        return Path(self.settings.home) / "eval-cache" / key

    def index_for(self, corpus: CorpusData | None) -> tuple[Path, dict[str, float | bool]]:
        """The index to query (building it into the cache when new) and what that took."""
        if corpus is None:  # medchat's own index, built on first use as `medchat ask` does
            folder = Path(self.settings.index_dir)
            if (folder / "CURRENT").is_file():
                return folder, {"cached": True}
            from medchat_cli import ensure_index

            start = time.perf_counter()
            ensure_index(self.settings, self.embedder())
            return folder, {"cached": False, "index_s": time.perf_counter() - start}
        folder = self.cache_dir(corpus)
        if (folder / "CURRENT").is_file():
            return folder, {"cached": True}
        from corpus.builtin import BUILTIN_DIR
        from retrieval import build_index

        start = time.perf_counter()
        manifest = build_index(corpus.documents, folder, self.settings.retrieval,
                               self.settings.chunking, embedder=self.embedder(),
                               # vectors shipped for the built-in corpus: reused, not recomputed
                               embedding_files=sorted(BUILTIN_DIR.glob("embeddings-*.npz")),
                               progress=self.progress)
        seconds = time.perf_counter() - start
        return folder, {"cached": False, "index_s": seconds, "passages": manifest.passages}

    def embedder(self):
        """One embedder per run, shared by index builds and retrievers (loading takes seconds)."""
        if self._embedder is None:
            from retrieval import Embedder

            r = self.settings.retrieval
            self._embedder = Embedder(r.embedder, r.device, self.settings.model_cache,
                                      r.batch_size)
        return self._embedder

    def retriever(self, index_dir: Path):
        if index_dir not in self._retrievers:
            from retrieval import Retriever
            from retrieval.index import current_version

            current_version(index_dir)  # no index: fail with medchat's hint before loading models
            self._retrievers[index_dir] = Retriever.load(
                index_dir, self.settings.retrieval, self.settings.chunking,
                embedder=self.embedder(), model_cache=self.settings.model_cache,
            )
        return self._retrievers[index_dir]

    # --- the assistant ---------------------------------------------------------------------

    def assistant(self, index_dir: Path):
        """An Assistant answering from `index_dir` (the eval cache, or the default index), built
        like `Assistant.from_settings` but over our retriever: settings name one index only."""
        if index_dir not in self._assistants:
            from assistant.assistant import Assistant
            from assistant.generator import make_generator

            if self._generator is None:
                self._generator = make_generator(self.settings.generator,
                                                 self.settings.model_cache, self.settings.threads)
            self._assistants[index_dir] = Assistant(
                self.retriever(index_dir), self._generator, self.settings
            )
        return self._assistants[index_dir]

    def layers(self):
        """The triage meaning layers named in settings, loaded once."""
        if self._layers is None:
            from assistant.triage.layers import load_layers

            t = self.settings.triage
            self._layers = load_layers(t.signs, t.urgency, self.settings.model_cache)
        return self._layers

    def assess(self, text: str):
        from assistant.triage import assess

        layers = self.layers()
        return assess(text, signs=layers.signs, urgency=layers.urgency)

    def intake_session(self):
        """A fresh intake conversation, as the app would start one."""
        from assistant.triage import IntakeSession

        layers = self.layers()
        return IntakeSession(signs=layers.signs, urgency=layers.urgency)


def seed_everything(seed: int) -> None:
    """Same seed, same order, same bootstrap: runs repeat exactly (with greedy decoding)."""
    import random

    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a dependency, but the metrics do not need it
        pass

"""The models behind the UI, loaded on first use, once, and shared read-only by all sessions.

The app starts serving at once and loads the models in the background (`warm_up`); a question is
checked before anything is needed, so an empty or over-long message is answered in milliseconds
even while the models are still loading.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace

from assistant.assistant import Assistant
from assistant.settings import Settings
from assistant.triage.layers import MeaningLayers, load_layers
from retrieval.retriever import Retriever

log = logging.getLogger(__name__)

SHIPPED_RERANKER = "medchat-rerank-minilm"


class Models:
    """Loads the answering assistant, the triage layers and the reranker lazily, each once.

    `assistant` / `layers` may be given already loaded (tests share theirs).
    """

    def __init__(self, settings: Settings, assistant: Assistant | None = None,
                 layers: MeaningLayers | None = None) -> None:
        self.settings = settings
        self._assistant = assistant
        self._layers = layers
        self._reranker: object | None = None
        self._lock = threading.Lock()

    def _once(self, name: str, load: Callable[[], object]) -> object:
        with self._lock:
            if getattr(self, name) is None:
                setattr(self, name, load())
            return getattr(self, name)

    def assistant(self) -> Assistant:
        return self._once("_assistant", lambda: Assistant.from_settings(self.settings))

    def layers(self) -> MeaningLayers:
        t = self.settings.triage
        return self._once("_layers", lambda: load_layers(t.signs, t.urgency,
                                                         self.settings.model_cache))

    def warm_up(self) -> None:
        """Load the triage layers, then the assistant: called in the background at start, so
        the first users do not wait for loading while the page is already served."""
        try:
            self.layers()
            self.assistant()
            log.info("models loaded")
        except Exception:  # the first request that needs them raises again, with its message
            log.exception("loading the models in the background failed")

    def reranker_name(self) -> str:
        return self.settings.retrieval.reranker or SHIPPED_RERANKER

    def _loaded_reranker(self) -> object:
        base = self.assistant().retriever
        if base.reranker is not None:
            return base.reranker

        def load() -> object:
            from retrieval.rerank import Reranker

            r = self.settings.retrieval
            return Reranker(self.reranker_name(), r.device, self.settings.model_cache)

        return self._once("_reranker", load)

    def answering(self, mode: str, rerank: bool) -> Assistant:
        """An assistant searching with this mode, reranking or not: a light view over the
        loaded index, embedder and generator (nothing is copied or reloaded)."""
        base = self.assistant()
        retrieval = replace(self.settings.retrieval, mode=mode,
                            reranker=self.reranker_name() if rerank else "")
        if retrieval == base.retriever.settings:
            return base
        reranker = self._loaded_reranker() if rerank else None
        retriever = Retriever(base.retriever.index, base.retriever.embedder, retrieval, reranker)
        return Assistant(retriever, base.generator,
                         self.settings.model_copy(update={"retrieval": retrieval}))

"""Shared fixtures: real models and real data, loaded once per test session.

Model weights are converted once into ~/.cache/medchat-test/models and reused across runs; every
index a test builds lives in a temporary folder. The built-in corpus ships its embeddings, so an
index over its PubMedQA part builds without embedding anything.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
MODELS_DIR = Path(os.environ.get("MEDCHAT_TEST_MODELS", Path.home() / ".cache/medchat-test/models"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.fail(f"real data sets expected at {SHARED_DATA} (the project's ../shared/data)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    from assistant.settings import Settings
    from retrieval.settings import RetrievalSettings

    # The reranker is on by default; the shared fixtures leave it off so that the many searches
    # of the retrieval and answer tests stay fast. Reranking tests build their own settings.
    home = tmp_path_factory.mktemp("medchat-home")
    return Settings(home=home, models_dir=str(MODELS_DIR),
                    retrieval=RetrievalSettings(reranker=""))


@pytest.fixture(scope="session")
def embedder(settings):
    from retrieval.embedder import Embedder

    return Embedder(settings.retrieval.embedder, "cpu", settings.model_cache)


@pytest.fixture(scope="session")
def pubmedqa_docs():
    from corpus.builtin import read_builtin

    return list(read_builtin(sources=["pubmedqa"]))


@pytest.fixture(scope="session")
def builtin_embeddings() -> list[Path]:
    from corpus.builtin import BUILTIN_DIR

    return sorted(BUILTIN_DIR.glob("embeddings-*.npz"))


@pytest.fixture(scope="session")
def pubmedqa_index(settings, embedder, pubmedqa_docs, builtin_embeddings) -> Path:
    """The 1,000 PubMedQA abstracts, indexed with the shipped embeddings."""
    from retrieval.index import build_index

    build_index(
        pubmedqa_docs, settings.index_dir, settings.retrieval, settings.chunking,
        embedder=embedder, embedding_files=builtin_embeddings, progress=False,
    )
    return settings.index_dir


@pytest.fixture(scope="session")
def retriever(settings, embedder, pubmedqa_index):
    from retrieval.retriever import Retriever

    return Retriever.load(pubmedqa_index, settings.retrieval, settings.chunking, embedder=embedder)


@pytest.fixture(scope="session")
def generator(settings):
    from assistant.generator import Generator

    return Generator(replace(settings.generator, device="cpu"), settings.model_cache)


@pytest.fixture(scope="session")
def assistant(settings, retriever, generator):
    from assistant.assistant import Assistant

    return Assistant(retriever, generator, settings)


@pytest.fixture(scope="module")
def served_app_url(settings, assistant):
    """The chat app over the shared test index and models, served on a free loopback port."""
    import app
    from ui.models import Models

    demo = app.build_app(settings, models=Models(settings, assistant))
    demo.launch(**{**app.launch_options(settings), "server_port": None,
                   "prevent_thread_lock": True, "quiet": True})
    yield demo.local_url
    demo.close()

"""The on-disk index: passage store + dense (FAISS) + lexical (BM25) + manifest, versioned.

Layout of an index folder::

    CURRENT            name of the live version (replaced atomically)
    v-<time>-<pid>/    passages.sqlite, dense.faiss, dense_*.npy, bm25/, bm25_*.npy, manifest.json
                       (dense_vectors-*.npy: float16 vectors for exact re-scoring, PQ/SQ only)
    embeddings.npz     every vector computed for this folder, keyed by text (see embedding_cache)

A build or update writes a new version beside the live one and only then swaps CURRENT, so an
interrupted build leaves the last good index loadable.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import bm25s
import faiss
import numpy as np
from tqdm.auto import tqdm

from corpus.chunking import ChunkSettings, chunk_document
from corpus.dedup import dedupe
from corpus.errors import CorpusError, IndexBusyError, IndexMissingError, MedchatError
from corpus.files import write_atomic
from corpus.records import Document
from corpus.store import PassageStore
from retrieval.dense import DenseIndex, scaled_nprobe
from retrieval.embedder import Embedder
from retrieval.embedding_cache import EmbeddingCache
from retrieval.exact_vectors import PREFIX as EXACT_PREFIX
from retrieval.exact_vectors import create_segment, link_segments
from retrieval.lexical import LexicalIndex
from retrieval.manifest import IndexMismatchError, Manifest
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

EMBED_BLOCK = 512
STREAM_BLOCK = 65_536  # passages looked up / embedded, then written to disk, at a time
T = TypeVar("T")


@dataclass
class Index:
    """A loaded index version: everything search needs, read-only."""

    folder: Path
    manifest: Manifest
    store: PassageStore
    dense: DenseIndex
    lexical: LexicalIndex

    @classmethod
    def load(cls, index_dir: Path, settings: RetrievalSettings, chunking: ChunkSettings) -> Index:
        folder = current_version(index_dir)
        manifest = Manifest.read(folder / "manifest.json")
        manifest.check(settings.embedder, asdict(chunking))
        store = _readable(folder, lambda: PassageStore.open(folder / "passages.sqlite"))
        try:
            dense = _readable(folder, lambda: DenseIndex.load(folder, manifest.index_factory))
            lexical = _readable(folder, lambda: LexicalIndex.load(folder))
        except IndexMismatchError:
            store.close()
            raise
        if not (len(store) == len(dense) == len(lexical) == manifest.passages):
            raise IndexMismatchError(
                f"{folder}: store ({len(store)}), dense ({len(dense)}), BM25 ({len(lexical)}) "
                f"and manifest ({manifest.passages}) disagree on the passage count; rebuild "
                "with `medchat index build`"
            )
        dense.set_nprobe(scaled_nprobe(
            dense.nlist, settings.nprobe, settings.nprobe_scale))
        dense.rescore = settings.rescore
        return cls(folder, manifest, store, dense, lexical)

    def close(self) -> None:
        self.store.close()


def _readable(folder: Path, load: Callable[[], T]) -> T:
    """`load()`, with damaged files (disk faults, hand edits: FAISS, SQLite, numpy and bm25s each
    say so in their own words) turned into one message with the fix."""
    try:
        return load()
    except MedchatError:
        raise
    except (OSError, RuntimeError, ValueError, EOFError, KeyError) as exc:
        raise IndexMismatchError(
            f"{folder}: index files are unreadable ({type(exc).__name__}: {exc}); rebuild "
            "with `medchat index build`"
        ) from exc


def current_version(index_dir: Path) -> Path:
    pointer = Path(index_dir) / "CURRENT"
    if not pointer.is_file():
        raise IndexMissingError(
            f"no index in {index_dir}: build one with `medchat index build` "
            "(or `medchat index build --corpus PATH` for your own documents)"
        )
    folder = Path(index_dir) / pointer.read_text(errors="replace").strip()
    if not (folder / "manifest.json").is_file():
        raise IndexMismatchError(
            f"{pointer} names {folder.name}, which is incomplete; "
            "rebuild with `medchat index build`"
        )
    return folder


@contextlib.contextmanager
def _building(index_dir: Path) -> Iterator[Path]:
    """A fresh version folder under an exclusive lock; published only if the block succeeds."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise IndexBusyError(
                f"another build or update is writing {index_dir}; wait for it to finish"
            ) from exc
        name = f"v-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{os.getpid()}"
        staging = index_dir / name
        staging.mkdir()
        try:
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        _publish(index_dir, name)


def _publish(index_dir: Path, name: str) -> None:
    write_atomic(index_dir / "CURRENT", name + "\n")
    for old in index_dir.glob("v-*"):
        if old.name != name and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _count_sources(docs: Iterable[Document]) -> dict[str, int]:
    """Documents per source, for the manifest."""
    return dict(Counter(d.source or "unknown" for d in docs))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _embed(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, bar: tqdm | None = None
) -> tuple[np.ndarray, int]:
    """float32 vectors of the texts (from the cache, else computed) and how many were computed;
    `bar` advances by each computed block."""
    vectors, missing = cache.lookup(texts)
    for start in range(0, len(missing), EMBED_BLOCK):
        block = missing[start : start + EMBED_BLOCK]
        vectors[block] = embedder.encode([texts[i] for i in block])
        if bar is not None:
            bar.update(len(block))
    return vectors, len(missing)


def _embed_to_disk(
    texts: list[str], embedder: Embedder, cache: EmbeddingCache, folder: Path, progress: bool
) -> np.ndarray:
    """Every passage's vector, block by block, into a memory-mapped float16 file in `folder`
    (the index's exact-vector segment): float32 copies of all vectors never exist at once."""
    vectors = create_segment(folder, len(texts), embedder.dim)
    bar = tqdm(total=len(texts), desc="vectors", unit="passage", disable=not progress)
    computed = 0
    for start in range(0, len(texts), STREAM_BLOCK):
        block = texts[start : start + STREAM_BLOCK]
        vectors[start : start + len(block)], done = _embed(block, embedder, cache, bar)
        bar.update(len(block) - done)  # the cached ones
        computed += done
        bar.set_postfix(embedded=computed)
    bar.close()
    vectors.flush()
    log.info("embedded %d of %d passages (%d cached)", computed, len(texts), len(texts) - computed)
    return vectors


def _cache_for(index_dir: Path, embedder: Embedder, extra: Iterable[Path]) -> EmbeddingCache:
    cache = EmbeddingCache(embedder.fingerprint, embedder.dim)
    for path in [index_dir / "embeddings.npz", *extra]:
        cache.load(path)
    return cache


def _manifest(
    embedder: Embedder, dense: DenseIndex, store: PassageStore, chunking: ChunkSettings,
    sources: dict, created_at: str | None = None,
) -> Manifest:
    now = _now()
    return Manifest(
        embedder=embedder.name,
        embedder_fingerprint=embedder.fingerprint,
        dim=embedder.dim,
        index_factory=dense.factory,
        passages=len(store),
        documents=len(store.doc_ids()),
        corpus_fingerprint=store.fingerprint(),
        chunking=asdict(chunking),
        faiss_version=faiss.__version__,
        bm25s_version=bm25s.__version__,
        created_at=created_at or now,
        updated_at=now,
        sources=sources,
    )


def build_index(
    documents: Iterable[Document],
    index_dir: str | Path,
    settings: RetrievalSettings,
    chunking: ChunkSettings = ChunkSettings(),
    embedder: Embedder | None = None,
    embedding_files: Iterable[Path] = (),
    progress: bool = True,
) -> Manifest:
    """Build a complete new index version from documents and make it the live one.

    `embedding_files` are extra embedding caches (the built-in corpus ships one) consulted
    before computing a vector.
    """
    index_dir = Path(index_dir)
    started = time.perf_counter()
    docs = dedupe(tqdm(documents, desc="reading", unit="doc", disable=not progress))
    if not docs:
        raise CorpusError(
            "the corpus holds no readable documents: nothing to index (the read report lists "
            "what was skipped and why; accepted: JSON lines or PubMed XML, plain or gzip)"
        )
    passages = [p for d in docs for p in chunk_document(d, chunking)]
    embedder = embedder or Embedder(settings.embedder, settings.device, None, settings.batch_size)
    sources = _count_sources(docs)
    with _building(index_dir) as staging:
        store = PassageStore.create(staging / "passages.sqlite")
        ids = np.array(store.add(passages), dtype=np.int64)
        texts = [p.text for p in passages]
        cache = _cache_for(index_dir, embedder, embedding_files)
        vectors = _embed_to_disk(texts, embedder, cache, staging, progress)
        cache.save(index_dir / "embeddings.npz", texts, vectors)
        dense = DenseIndex.build(vectors, ids, settings.index_factory)
        dense.save(staging)
        if progress:
            print("building BM25 index ...", flush=True)
        LexicalIndex.build(texts, ids).save(staging)
        manifest = _manifest(embedder, dense, store, chunking, sources)
        manifest.write(staging / "manifest.json")
        store.close()
    log.info("built index of %d passages in %.1fs", len(passages), time.perf_counter() - started)
    return manifest


def update_index(
    index_dir: str | Path,
    documents: Iterable[Document],
    settings: RetrievalSettings,
    chunking: ChunkSettings = ChunkSettings(),
    deleted: Iterable[str] = (),
    embedder: Embedder | None = None,
    progress: bool = True,
) -> Manifest:
    """Add new records and replace revised or deleted ones, without re-embedding the corpus.

    New and revised documents are embedded; everything else is reused. The dense index gains the
    new vectors and tombstones the old; BM25 is re-indexed from the store (seconds per 100k).
    """
    index_dir = Path(index_dir)
    live = current_version(index_dir)
    old = Manifest.read(live / "manifest.json")
    old.check(settings.embedder, asdict(chunking))
    docs = dedupe(documents)
    embedder = embedder or Embedder(settings.embedder, settings.device, None, settings.batch_size)
    if embedder.fingerprint != old.embedder_fingerprint:
        raise IndexMismatchError("embedder weights changed since the build; rebuild the index")
    with _building(index_dir) as staging:
        for item in live.iterdir():
            if item.name.startswith(EXACT_PREFIX):
                continue
            target = staging / item.name
            (shutil.copytree if item.is_dir() else shutil.copy2)(item, target)
        link_segments(live, staging)
        store = PassageStore.open(staging / "passages.sqlite", readonly=False)
        replaced = {d.doc_id for d in docs} | set(deleted)
        removed = np.array(store.delete_documents(replaced), dtype=np.int64)
        passages = [p for d in docs for p in chunk_document(d, chunking)]
        ids = np.array(store.add(passages), dtype=np.int64)
        dense = DenseIndex.load(staging, old.index_factory)
        dense.remove(removed)
        texts = [p.text for p in passages]
        bar = tqdm(desc="embedding", unit="passage", disable=not progress)
        vectors, _ = _embed(texts, embedder, _cache_for(index_dir, embedder, ()), bar)
        bar.close()
        vectors = vectors.astype(np.float16).astype(np.float32)  # as a build indexes them
        if len(ids):
            dense.add(vectors, ids)
        dense.save(staging)
        all_ids, all_texts = [], []
        for p in store.iter_passages():
            all_ids.append(p.row_id)
            all_texts.append(p.text)
        LexicalIndex.build(all_texts, np.array(all_ids, dtype=np.int64)).save(staging)
        sources = dict(Counter(old.sources) + Counter(_count_sources(docs)))
        manifest = replace(
            _manifest(embedder, dense, store, chunking, sources, old.created_at),
            index_factory=old.index_factory,
        )
        manifest.write(staging / "manifest.json")
        store.close()
    return manifest

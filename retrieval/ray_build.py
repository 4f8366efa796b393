"""Index build on Ray: files read and chunked in parallel, passages embedded by a pool of actors.

Embedding is the cost of a big build (2 CPU cores: ~12 passages/s; one H100: ~42,000/s), so
that is the part spread over a cluster. Each input file's vectors land in one shard, written
atomically in the embedding-cache format (`retrieval.embedding_cache`) when the file's last
passage is embedded; the ordinary build (`retrieval.index.build_index`) then reads the corpus,
finds every vector in the shards and writes store, FAISS, BM25 and manifest exactly as the
single-process build does. A shard is named by the file's path, size, modification time, source,
embedder weights and chunking, so a crash or a stopped run re-embeds only the files without one.

    build_index_ray(ray_inputs(["pubmed/"]), index_dir, settings, chunking, address="auto")

Ray is an optional dependency: `pip install 'medchat[ray]'`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from corpus.chunking import ChunkSettings, chunk_document
from corpus.dedup import dedupe
from corpus.errors import MedchatError
from corpus.limits import DEFAULT_LIMITS, ReaderSettings
from corpus.problems import ReadReport
from corpus.readers import corpus_files, read_corpus
from corpus.records import Document
from retrieval.embedding_cache import text_key, write_cache_file
from retrieval.manifest import Manifest
from retrieval.settings import RetrievalSettings

log = logging.getLogger(__name__)

SHARD_DIR = "ray-shards"
BATCH = 256  # passages per embedding call: fills a GPU, and still a small unit of loss on CPU


@dataclass(frozen=True)
class Input:
    """One corpus file and the source name its documents get (None: the reader's default)."""

    path: Path
    source: str | None = None


@dataclass(frozen=True)
class ShardRun:
    """What the Ray stage did: files embedded now, files whose shard was already there."""

    embedded: tuple[Path, ...]
    reused: tuple[Path, ...]
    passages: int
    seconds: float


@dataclass(frozen=True)
class RayBuild:
    manifest: Manifest
    shards: ShardRun
    report: ReadReport


def ray_inputs(paths: Iterable[str | Path] | None) -> list[Input]:
    """The files of --corpus paths, or the built-in corpus's files (with their source names)."""
    paths = list(paths or [])
    if paths:
        return [Input(f) for f in corpus_files(paths)]
    from corpus.builtin import builtin_corpus_files

    return [Input(path, name) for name, path in builtin_corpus_files()]


def shard_path(shard_dir: Path, item: Input, fingerprint: str, chunking: ChunkSettings) -> Path:
    """Where a file's shard lives; any change to the file or to how it is embedded renames it."""
    stat = item.path.stat()
    ident = json.dumps([str(item.path.resolve()), stat.st_size, stat.st_mtime_ns, item.source,
                        fingerprint, asdict(chunking)])
    digest = hashlib.sha256(ident.encode()).hexdigest()[:16]
    return shard_dir / f"{item.path.name}.{digest}.npz"


def write_shard(path: Path, fingerprint: str, keys: np.ndarray, vectors: np.ndarray) -> None:
    """An embedding-cache file (fingerprint, 16-byte keys, float16 vectors), atomically."""
    write_cache_file(path, fingerprint, keys, vectors)


def file_passages(item: Input, chunking: ChunkSettings,
                  limits: ReaderSettings = DEFAULT_LIMITS) -> Iterator[str]:
    """Passage texts of one file, as the single-process build cuts them (deduplicated by id)."""
    docs = dedupe(read_corpus(item.path, ReadReport(), source=item.source, limits=limits))
    for doc in docs:
        for passage in chunk_document(doc, chunking):
            yield passage.text


def known_keys(files: Iterable[Path], fingerprint: str) -> set[bytes]:
    """Keys of the texts already embedded in these cache files (nothing to do for them)."""
    keys: set[bytes] = set()
    for path in files:
        if Path(path).exists():
            with np.load(path, allow_pickle=False) as data:
                if str(data["fingerprint"]) == fingerprint:
                    keys.update(k.tobytes() for k in data["keys"])
    return keys


class _Chunker:
    """Ray Data flat_map: one file row -> its passages not yet embedded anywhere."""

    def __init__(self, chunking: ChunkSettings, known_ref, limits: ReaderSettings) -> None:
        self.chunking = chunking
        self.known_ref = known_ref
        self.limits = limits

    def __call__(self, row: dict) -> list[dict]:
        import ray

        known = ray.get(self.known_ref)
        item = Input(Path(row["path"]), row["source"] or None)
        texts = list(dict.fromkeys(
            t for t in file_passages(item, self.chunking, self.limits) if text_key(t) not in known
        ))
        return [{"file": row["file"], "count": len(texts), "text": t} for t in texts]


class _EmbedActor:
    """Ray Data actor: loads the embedder once, then embeds batches of passages."""

    def __init__(self, model: str, device: str, batch_size: int, cache: str | None) -> None:
        if device == "cpu":
            import torch

            torch.set_num_threads(1)
        from retrieval.embedder import Embedder

        self.embedder = Embedder(model, device, Path(cache) if cache else None, batch_size)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        texts = [str(t) for t in batch["text"]]
        keys = np.frombuffer(b"".join(text_key(t) for t in texts), np.uint8).reshape(-1, 16)
        return {"file": batch["file"], "count": batch["count"], "key": keys,
                "vector": self.embedder.encode(texts)}


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError as exc:
        raise MedchatError(
            "the Ray engine needs Ray Data: pip install 'medchat[ray]' (or leave out "
            "--engine ray for the single-process build)"
        ) from exc
    return ray


def _start_ray(address: str | None, num_cpus: int | None) -> None:
    ray = _import_ray()

    if ray.is_initialized():
        return
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    ray.data.DataContext.get_current().enable_progress_bars = False


def _actors() -> tuple[int, int, str]:
    """(actors, GPUs per actor, device): one actor per GPU, else one per spare CPU."""
    import ray

    resources = ray.cluster_resources()
    gpus = int(resources.get("GPU", 0))
    if gpus:
        return gpus, 1, "cuda"
    return max(1, int(resources.get("CPU", 1)) - 1), 0, "cpu"


def embed_shards(
    inputs: Sequence[Input],
    shard_dir: Path,
    settings: RetrievalSettings,
    chunking: ChunkSettings = ChunkSettings(),
    known: Iterable[Path] = (),
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
    model_cache: Path | None = None,
    limits: ReaderSettings = DEFAULT_LIMITS,
) -> ShardRun:
    """Embed every input file without a shard on Ray and write its shard; texts in the `known`
    cache files are skipped. Returns which files were embedded and which reused."""

    from retrieval.weights import DEFAULT_CACHE, resolve, weights_fingerprint

    started = time.perf_counter()
    cache = model_cache or DEFAULT_CACHE
    fingerprint = weights_fingerprint(settings.embedder, resolve(settings.embedder, cache))
    targets = {i: shard_path(shard_dir, item, fingerprint, chunking) for i, item in
               enumerate(inputs)}
    pending = {i: item for i, item in enumerate(inputs) if not targets[i].exists()}
    reused = tuple(item.path for i, item in enumerate(inputs) if i not in pending)
    if not pending:
        return ShardRun((), reused, 0, time.perf_counter() - started)
    ray = _import_ray()
    _start_ray(address, num_cpus)
    actors, gpus, device = _actors()
    device = device if settings.device == "auto" else settings.device
    dim = _dim(settings.embedder, fingerprint, known)
    known_ref = ray.put(known_keys(known, fingerprint))
    rows = [{"file": i, "path": str(item.path), "source": item.source or ""}
            for i, item in pending.items()]
    ds = (
        ray.data.from_items(rows, override_num_blocks=len(rows))
        .flat_map(_Chunker(chunking, known_ref, limits))
        .map_batches(
            _EmbedActor, batch_size=BATCH, compute=ray.data.ActorPoolStrategy(size=actors),
            num_gpus=gpus, num_cpus=0 if gpus else 1,
            fn_constructor_kwargs={"model": settings.embedder, "device": device,
                                   "batch_size": settings.batch_size, "cache": str(cache)},
        )
    )
    log.info("ray: %d files to embed (%d reused) on %d %s actor(s)", len(pending), len(reused),
             actors, device)
    got: dict[int, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)
    counts: dict[int, int] = {}
    done: list[Path] = []
    passages = 0
    bar = tqdm(total=len(pending), desc="ray: files embedded", unit="file", disable=not progress)
    for batch in ds.iter_batches(batch_format="numpy", batch_size=None):
        for f in np.unique(batch["file"]):
            sel = batch["file"] == f
            got[int(f)].append((batch["key"][sel], batch["vector"][sel]))
            counts[int(f)] = int(batch["count"][sel][0])
        passages += len(batch["file"])
        for f in [f for f in got if sum(len(k) for k, _ in got[f]) == counts[f]]:
            keys = np.concatenate([k for k, _ in got[f]])
            vectors = np.concatenate([v for _, v in got.pop(f)])
            write_shard(targets[f], fingerprint, keys, vectors)
            done.append(pending[f].path)
            bar.update(1)
        bar.set_postfix(passages=passages,
                        per_s=round(passages / max(1e-9, time.perf_counter() - started), 1))
    if got:
        raise RuntimeError(f"ray: {len(got)} file(s) ended with passages missing; run again")
    for f, item in pending.items():  # files with nothing new to embed
        if not targets[f].exists():
            write_shard(targets[f], fingerprint, np.zeros((0, 16), np.uint8),
                        np.zeros((0, dim or 1), np.float16))
            done.append(item.path)
            bar.update(1)
    bar.close()
    return ShardRun(tuple(done), reused, passages, time.perf_counter() - started)


def _dim(model: str, fingerprint: str, known: Iterable[Path]) -> int:
    """The embedding width from a known cache file, without loading the model (0: unknown)."""
    for path in known:
        if Path(path).exists():
            with np.load(path, allow_pickle=False) as data:
                if str(data["fingerprint"]) == fingerprint:
                    return int(data["vectors"].shape[1])
    return 0


def read_inputs(inputs: Sequence[Input], report: ReadReport,
                limits: ReaderSettings = DEFAULT_LIMITS) -> Iterator[Document]:
    for item in inputs:
        yield from read_corpus(item.path, report, source=item.source, limits=limits)


def build_index_ray(
    inputs: Sequence[Input],
    index_dir: str | Path,
    settings: RetrievalSettings,
    chunking: ChunkSettings = ChunkSettings(),
    embedding_files: Iterable[Path] = (),
    address: str | None = None,
    num_cpus: int | None = None,
    progress: bool = True,
    model_cache: Path | None = None,
    limits: ReaderSettings = DEFAULT_LIMITS,
) -> RayBuild:
    """Embed on Ray (resumable per file), then build and publish the index from the shards.

    The shards are removed once the index is published; until then a rerun reuses them.
    """
    from retrieval.embedder import Embedder
    from retrieval.index import build_index

    index_dir = Path(index_dir)
    shard_dir = index_dir / SHARD_DIR
    extra = [Path(p) for p in embedding_files]
    run = embed_shards(inputs, shard_dir, settings, chunking,
                       known=[index_dir / "embeddings.npz", *extra],
                       address=address, num_cpus=num_cpus, progress=progress,
                       model_cache=model_cache, limits=limits)
    report = ReadReport()
    embedder = Embedder(settings.embedder, settings.device, model_cache, settings.batch_size)
    shards = sorted(shard_dir.glob("*.npz"))
    manifest = build_index(read_inputs(inputs, report, limits), index_dir, settings, chunking,
                           embedder=embedder, embedding_files=[*extra, *shards],
                           progress=progress)
    shutil.rmtree(shard_dir, ignore_errors=True)
    return RayBuild(manifest, run, report)

"""How the indexes scale: dense (Flat, IVF-PQ, IVF-SQ8) and BM25, measured on this machine.

Synthetic vectors stand in for a corpus too big to embed here: 384-d, unit length and clustered
in two levels (1,024 topics, 65,536 sub-topics; query-to-neighbour cosines calibrated against the
shipped MiniLM embeddings of the built-in corpus), so recall against exact search means
something. Rows are generated in fixed-seed chunks into one float32 file, so every size is a
prefix of the largest. Each (size, index) runs in its own subprocess so that its peak RSS is its
own. Queries run on one thread: QPS is per core. Compressed indexes (PQ, SQ) are also measured
through medchat's DenseIndex with exact re-scoring from a float16 copy of the rows (recall@10 and
QPS per re-scoring factor); `--stream N` measures the memory of medchat's streaming build.

    nice -n 19 .venv/bin/python benchmarks/scale.py --out /tmp/scale_run            # full
    .venv/bin/python benchmarks/scale.py --tiny --out /tmp/scale_tiny              # seconds
    nice -n 19 .venv/bin/python benchmarks/scale.py --sizes --bm25 --stream 1000000  # memory

Writes scale.json and scale.md under --out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DIM = 384
CHUNK = 100_000
TOPICS, SUBTOPICS = 1024, 65_536
TOPIC_SPREAD, POINT_SPREAD = 0.8, 0.5
NPROBES = (8, 16, 32, 64, 128)
RESCORES = (2, 5, 10)  # exact re-scoring of the top k x factor candidates (lossy codes only)
K = 10


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _subtopics(dim: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    topics = _unit(rng.standard_normal((TOPICS, dim), dtype=np.float32))
    rng = np.random.default_rng(2)
    noise = rng.standard_normal((SUBTOPICS, dim), dtype=np.float32) / math.sqrt(dim)
    return _unit(topics[rng.integers(0, TOPICS, SUBTOPICS)] + TOPIC_SPREAD * noise)


def synthetic_chunk(subtopics: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n unit vectors around random sub-topics; the same seed gives the same rows."""
    rng = np.random.default_rng(seed)
    dim = subtopics.shape[1]
    noise = rng.standard_normal((n, dim), dtype=np.float32) / math.sqrt(dim)
    return _unit(subtopics[rng.integers(0, len(subtopics), n)] + POINT_SPREAD * noise)


def ensure_vectors(path: Path, n: int, dim: int = DIM) -> None:
    """Write (or extend) the float32 row file to n rows; chunk i is drawn with seed 1000+i."""
    have = path.stat().st_size // (4 * dim) if path.exists() else 0
    if have >= n:
        return
    subtopics = _subtopics(dim)
    start_chunk = have // CHUNK
    with open(path, "r+b" if path.exists() else "wb") as fh:
        fh.seek(start_chunk * CHUNK * dim * 4)
        fh.truncate()
        for c in range(start_chunk, math.ceil(n / CHUNK)):
            fh.write(synthetic_chunk(subtopics, CHUNK, 1000 + c).tobytes())


def ensure_exact(vectors: Path, n: int, dim: int = DIM) -> Path:
    """The float16 .npy copy of the first n rows (what an index keeps for re-scoring)."""
    path = vectors.with_name(f"exact-{n}.f16.npy")
    if path.exists():
        return path
    tmp = path.with_suffix(".tmp.npy")
    out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(n, dim))
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        out[start:stop] = read_rows(vectors, start, stop, dim)
    out.flush()
    del out
    os.replace(tmp, path)
    return path


def read_rows(path: Path, start: int, stop: int, dim: int = DIM) -> np.ndarray:
    """Rows [start, stop) copied into memory (a read, not a mapping, so RSS is honest)."""
    with open(path, "rb") as fh:
        fh.seek(start * dim * 4)
        data = np.fromfile(fh, dtype=np.float32, count=(stop - start) * dim)
    return data.reshape(-1, dim)


def queries(n: int, dim: int = DIM) -> np.ndarray:
    return synthetic_chunk(_subtopics(dim), n, seed=7)


def exact_topk(path: Path, n: int, q: np.ndarray, k: int) -> tuple[np.ndarray, float]:
    """Exact inner-product top-k over the first n rows, streamed; also the seconds it took."""
    import faiss

    started = time.perf_counter()
    best_s = np.full((len(q), k), -np.inf, np.float32)
    best_i = np.full((len(q), k), -1, np.int64)
    for start in range(0, n, CHUNK):
        rows = read_rows(path, start, min(n, start + CHUNK), q.shape[1])
        s, i = faiss.knn(q, rows, min(k, len(rows)), metric=faiss.METRIC_INNER_PRODUCT)
        all_s = np.concatenate([best_s, s], axis=1)
        all_i = np.concatenate([best_i, i + start], axis=1)
        order = np.argsort(-all_s, axis=1, kind="stable")[:, :k]
        best_s = np.take_along_axis(all_s, order, axis=1)
        best_i = np.take_along_axis(all_i, order, axis=1)
    return best_i, time.perf_counter() - started


def recall(found: np.ndarray, truth: np.ndarray, k: int = K) -> float:
    """Share of the true top-k found among `found` (10-in-10, or 10-in-50 with a wider found)."""
    hits = sum(len(set(f[f >= 0]) & set(t[:k])) for f, t in zip(found, truth, strict=True))
    return hits / (k * len(truth))


def qps(index, q: np.ndarray, batch: int, k: int) -> tuple[float, float]:
    """(wall, CPU-time) queries per second at a batch size over all of q, on one thread.

    The machine is shared: CPU time is the figure that does not depend on the neighbours.
    """
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(q), batch):
        index.search(q[start : start + batch], k)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return len(q) / max(wall, 1e-9), len(q) / max(cpu, 1e-9)


def nlist_for(n: int) -> int:
    """Inverted lists: a power of two near sqrt(n), at most 4,096 on these 2 CPU cores."""
    return min(4096, int(2 ** round(math.log2(math.sqrt(n)))))


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _index_bytes(index, tmp: Path) -> int:
    """Size on disk (written and removed: serialising in memory would double the peak RSS)."""
    import faiss

    faiss.write_index(index, str(tmp))
    size = tmp.stat().st_size
    tmp.unlink()
    return size


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(t: tuple[float, float]) -> tuple[float, float]:
    return round(time.perf_counter() - t[0], 1), round(time.process_time() - t[1], 1)


def coarse_centroids(path: Path, n: int, nlist: int) -> tuple[np.ndarray, tuple[float, float]]:
    """k-means (10 iterations) on a 30-per-list prefix sample: shared by every IVF kind."""
    import faiss

    t = _clock()
    sample = read_rows(path, 0, min(n, 30 * nlist))  # rows are i.i.d.: a prefix is random
    km = faiss.Kmeans(DIM, nlist, niter=10, seed=1, max_points_per_centroid=30)
    km.train(sample)
    return km.centroids, _since(t)


def _ivf(kind: str, nlist: int, centroids: np.ndarray, path: Path, n: int):
    """An IVF index over the given centroids; only its fine code (PQ / SQ) is trained here."""
    import faiss

    factory = f"IVF{nlist},{kind}"
    index = faiss.index_factory(DIM, factory, faiss.METRIC_INNER_PRODUCT)
    faiss.extract_index_ivf(index).quantizer.add(centroids)
    index.train(read_rows(path, 0, min(n, max(30 * nlist, 65_536))))
    return index, factory


def run_dense(path: Path, n: int, kinds: list[str], truth: np.ndarray, nq: int,
              nlist: int = 0, exact: Path | None = None,
              nprobes: tuple[int, ...] = NPROBES) -> list[dict]:
    """Build each index kind over the first n rows and measure it (one thread); lossy kinds
    also through medchat's DenseIndex with and without exact re-scoring from `exact`."""
    import faiss

    faiss.omp_set_num_threads(1)
    q = queries(nq)
    out = []
    nlist = nlist or nlist_for(n)
    centroids, coarse = (None, (0.0, 0.0))
    if any(k != "Flat" for k in kinds):
        centroids, coarse = coarse_centroids(path, n, nlist)
    for kind in kinds:
        t = _clock()
        if kind == "Flat":
            index, factory = faiss.IndexFlatIP(DIM), "Flat"
        else:
            index, factory = _ivf(kind, nlist, centroids, path, n)
        train = _since(t)
        for s in range(0, n, CHUNK):
            index.add(read_rows(path, s, min(n, s + CHUNK)))
        build = _since(t)
        size = _index_bytes(index, path.parent / f"index-{os.getpid()}.faiss")
        row = {"n": n, "factory": factory,
               "build_wall_s": build[0], "build_cpu_s": round(build[1] + coarse[1], 1),
               "coarse_kmeans_cpu_s": coarse[1] if kind != "Flat" else 0.0,
               "fine_train_cpu_s": train[1], "index_bytes": size,
               "bytes_per_vector": round(size / n, 1), "peak_rss_mb": round(_peak_rss_mb()),
               "settings": []}
        probes = [None] if kind == "Flat" else [p for p in nprobes if p <= nlist]
        for nprobe in probes:
            if nprobe:
                faiss.extract_index_ivf(index).nprobe = nprobe
            _, found50 = index.search(q, 50)
            b1 = qps(index, q[: min(len(q), 50 if n <= 1_000_000 else 20)], 1, K)
            b64 = qps(index, q, 64, K)
            row["settings"].append({
                "nprobe": nprobe,
                "recall@10": round(recall(found50[:, :K], truth), 4),
                "recall10@50": round(recall(found50, truth), 4),
                "qps_batch1_wall": round(b1[0], 1), "qps_batch1_cpu": round(b1[1], 1),
                "qps_batch64_wall": round(b64[0], 1), "qps_batch64_cpu": round(b64[1], 1),
            })
        if exact is not None and kind != "Flat":
            row["rescored"] = rescoring(index, factory, n, exact, q, truth, probes)
        out.append(row)
        print(json.dumps(row), flush=True)
        del index
    return out


def rescoring(index, factory: str, n: int, exact: Path, q: np.ndarray, truth: np.ndarray,
              probes: list[int]) -> list[dict]:
    """recall@10 and QPS of medchat's DenseIndex over this index: codes alone (factor 0), and
    the top 10 x factor candidates re-scored against the memory-mapped float16 vectors."""
    from retrieval.dense import DenseIndex
    from retrieval.exact_vectors import ExactVectors

    vectors = np.load(exact, mmap_mode="r")[:n]
    dense = DenseIndex(index, np.arange(n), factory, ExactVectors([vectors]))
    rows = []
    for nprobe in probes:
        dense.set_nprobe(nprobe)
        for factor in (0, *RESCORES):
            dense.rescore = factor
            _, found = dense.search(q, K)
            b1 = qps(dense, q[: min(len(q), 50 if n <= 1_000_000 else 20)], 1, K)
            b64 = qps(dense, q, 64, K)
            rows.append({"nprobe": nprobe, "rescore": factor,
                         "recall@10": round(recall(found, truth), 4),
                         "qps_batch1_wall": round(b1[0], 1), "qps_batch1_cpu": round(b1[1], 1),
                         "qps_batch64_wall": round(b64[0], 1),
                         "qps_batch64_cpu": round(b64[1], 1)})
            print(json.dumps({"n": n, "factory": factory, **rows[-1]}), flush=True)
    return rows


def run_stream(exact: Path, n: int, factory: str) -> dict:
    """medchat's streaming dense build (DenseIndex.build over the memory-mapped float16 file):
    CPU time and the peak of anonymous memory (the file's pages are page cache, not counted),
    sampled every 50 ms, against the n x dim x 4 bytes of all vectors as float32."""
    import threading

    import faiss

    from retrieval.dense import DenseIndex

    faiss.omp_set_num_threads(1)
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            status = Path("/proc/self/status").read_text()
            anon = int(next(x for x in status.splitlines() if x.startswith("RssAnon")).split()[1])
            peak[0] = max(peak[0], anon)

    vectors = np.load(exact, mmap_mode="r")[:n]
    base = int(next(x for x in Path("/proc/self/status").read_text().splitlines()
                    if x.startswith("RssAnon")).split()[1])
    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t = _clock()
    dense = DenseIndex.build(vectors, np.arange(n), factory)
    took = _since(t)
    done.set()
    watcher.join()
    row = {"n": n, "factory": factory, "build_wall_s": took[0], "build_cpu_s": took[1],
           "peak_anon_mb_above_start": round((peak[0] - base) / 1024),
           "float32_all_vectors_mb": round(n * vectors.shape[1] * 4 / 2**20),
           "ntotal": dense.index.ntotal}
    print(json.dumps(row), flush=True)
    return row


def _token_pool(limit: int) -> tuple[dict[str, int], np.ndarray, np.ndarray, list[list[str]]]:
    """Real token frequencies and passage lengths from the built-in corpus (bm25s tokenizer)."""
    import bm25s
    import Stemmer

    from corpus.builtin import read_builtin
    from corpus.chunking import chunk_document

    texts = []
    for doc in read_builtin(sources=["pubmedqa", "evidence_inference"]):
        texts += [p.text for p in chunk_document(doc)]
        if len(texts) >= limit:
            break
    tokens = bm25s.tokenize(texts[:limit], stopwords="en", stemmer=Stemmer.Stemmer("english"),
                            return_ids=False, show_progress=False)
    vocab: dict[str, int] = {}
    counts: list[int] = []
    for doc in tokens:
        for t in doc:
            if t not in vocab:
                vocab[t] = len(vocab)
                counts.append(0)
            counts[vocab[t]] += 1
    lengths = np.array([len(d) for d in tokens])
    return vocab, np.array(counts, np.float64), lengths, tokens


def run_bm25(n: int, workdir: Path, nq: int = 200) -> dict:
    """Index n synthetic passages (real token frequencies and lengths), save, mmap-load, query."""
    import bm25s

    started = time.perf_counter()
    vocab, counts, lengths, real = _token_pool(5000)
    tok_rate = len(real) / max(1e-9, time.perf_counter() - started)  # incl. reading: a floor
    rng = np.random.default_rng(0)
    p = counts / counts.sum()
    doc_lengths = rng.choice(lengths, n)
    flat = rng.choice(len(p), int(doc_lengths.sum()), p=p)
    bounds = np.concatenate([[0], np.cumsum(doc_lengths)])
    ids = [flat[bounds[i] : bounds[i + 1]].tolist() for i in range(n)]
    del flat
    inv_vocab = {i: t for t, i in vocab.items()}
    started = time.perf_counter()
    model = bm25s.BM25()
    model.index((ids, vocab), show_progress=False)
    index_s = time.perf_counter() - started
    del ids
    folder = workdir / f"bm25-{n}"
    model.save(str(folder), show_progress=False)
    disk = sum(f.stat().st_size for f in folder.iterdir())
    del model
    rss_built = _peak_rss_mb()
    loaded = bm25s.BM25.load(str(folder), mmap=True)
    q_tokens = [[inv_vocab[int(t)] for t in rng.choice(len(p), 5, p=p)] for _ in range(nq)]
    started = time.perf_counter()
    for toks in q_tokens:
        loaded.retrieve([toks], k=50, show_progress=False, n_threads=1)
    per_query_ms = (time.perf_counter() - started) / nq * 1000
    import psutil

    row = {"n": n, "index_s": round(index_s, 1), "disk_bytes": disk,
           "disk_mb_per_million": round(disk / n * 1e6 / 2**20, 1),
           "query_ms_mmap": round(per_query_ms, 2),
           "rss_after_mmap_queries_mb": round(psutil.Process().memory_info().rss / 2**20),
           "peak_rss_build_mb": round(rss_built),
           "tokenize_passages_per_s": round(tok_rate, 1),
           "vocab_sampled": len(vocab), "mean_tokens": round(float(lengths.mean()), 1)}
    print(json.dumps(row), flush=True)
    return row


def markdown(result: dict) -> str:
    lines = ["# Scale benchmark", "", f"Command: `{result['command']}`", "",
             f"Load average at start / end: {result['load_start']} / {result.get('load_end')}",
             "", "## Dense (synthetic clustered 384-d unit vectors, 200 queries, 1 thread)", "",
             "| n | index | build CPU s (wall) | bytes/vec | index MB | peak RSS MB | nprobe "
             "| recall@10 | recall 10@50 | QPS b1 CPU (wall) | QPS b64 CPU (wall) |",
             "|" + "---|" * 11]
    for row in result["dense"]:
        for s in row["settings"]:
            lines.append(
                f"| {row['n']:,} | {row['factory']} | {row['build_cpu_s']} ({row['build_wall_s']})"
                f" | {row['bytes_per_vector']} | {row['index_bytes'] / 2**20:.0f}"
                f" | {row['peak_rss_mb']} | {s['nprobe'] or '-'} | {s['recall@10']}"
                f" | {s['recall10@50']} | {s['qps_batch1_cpu']} ({s['qps_batch1_wall']})"
                f" | {s['qps_batch64_cpu']} ({s['qps_batch64_wall']}) |")
    rescored = [(row, r) for row in result["dense"] for r in row.get("rescored", [])]
    if rescored:
        lines += ["", "## Exact re-scoring (medchat's DenseIndex, float16 vectors memory-mapped)",
                  "", "rescore 0: the codes' own order; f: the top 10 x f candidates re-scored.",
                  "", "| n | index | nprobe | rescore | recall@10 | QPS b1 CPU (wall) "
                  "| QPS b64 CPU (wall) |", "|" + "---|" * 7]
        for row, r in rescored:
            lines.append(
                f"| {row['n']:,} | {row['factory']} | {r['nprobe']} | {r['rescore']}"
                f" | {r['recall@10']} | {r['qps_batch1_cpu']} ({r['qps_batch1_wall']})"
                f" | {r['qps_batch64_cpu']} ({r['qps_batch64_wall']}) |")
    lines += ["", "Exact search (streamed from disk, batch 200): " + (", ".join(
        f"{n:,}: {s:.1f} s" for n, s in result["exact_s"].items()) or "reused"), ""]
    if result.get("stream"):
        st = result["stream"]
        lines += ["## Streaming build (DenseIndex.build over the memory-mapped float16 file)", "",
                  f"{st['n']:,} vectors, {st['factory']}: {st['build_cpu_s']} CPU s "
                  f"({st['build_wall_s']} wall); peak anonymous memory "
                  f"{st['peak_anon_mb_above_start']} MB above the start, against "
                  f"{st['float32_all_vectors_mb']} MB for all vectors as float32.", ""]
    if result["bm25"]:
        lines += ["## BM25 (bm25s, synthetic passages with real token frequencies)", "",
                  "| n | index s | disk MB | MB per 1M | query ms (mmap, k=50) | RSS after MB |",
                  "|---|---|---|---|---|---|"]
        for b in result["bm25"]:
            lines.append(f"| {b['n']:,} | {b['index_s']} | {b['disk_bytes'] / 2**20:.0f} | "
                         f"{b['disk_mb_per_million']} | {b['query_ms_mmap']} | "
                         f"{b['rss_after_mmap_queries_mb']} |")
        lines.append(f"\nTokenizing real passages: {result['bm25'][0]['tokenize_passages_per_s']}"
                     " passages/s (one process, reading included).")
    return "\n".join(lines) + "\n"


def _child(args: argparse.Namespace) -> None:
    if args.child == "stream":
        print("RESULT " + json.dumps(run_stream(Path(args.exact), args.n, args.kinds)))
        return
    if args.child == "bm25":
        print("RESULT " + json.dumps(run_bm25(args.n, Path(args.workdir))))
        return
    truth = np.load(args.truth)
    rows = run_dense(Path(args.vectors), args.n, args.kinds.split(","), truth, len(truth),
                     args.nlist, Path(args.exact) if args.exact else None,
                     tuple(args.nprobes))
    print("RESULT " + json.dumps(rows))


def _spawn(extra: list[str]):
    cmd = [sys.executable, __file__, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ,
                          "OMP_NUM_THREADS": "1"})
    if proc.returncode != 0:
        print(proc.stdout[-2000:], proc.stderr[-4000:], file=sys.stderr)
        return None
    print(proc.stdout, end="", flush=True)
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000, 5_000_000])
    p.add_argument("--kinds", default="PQ48np,PQ96np,SQ8", help="IVF fine codes (np: no "
                   "polysemous training, which takes minutes and is not used at search)")
    p.add_argument("--big", type=int, default=2_000_000, help="from this n on, only --big-kinds")
    p.add_argument("--big-kinds", default="PQ48np")
    p.add_argument("--flat-max", type=int, default=1_000_000, help="largest n with a Flat index")
    p.add_argument("--bm25", type=int, nargs="*", default=[200_000, 500_000])
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--nlist", type=int, default=0, help="inverted lists (0: about sqrt(n))")
    p.add_argument("--nprobes", type=int, nargs="+", default=list(NPROBES))
    p.add_argument("--workdir", default="/tmp/medchat_scale", help="vector file and BM25 indexes")
    p.add_argument("--out", default="/tmp/medchat_scale/results")
    p.add_argument("--tiny", action="store_true", help="20k vectors, 20k passages: a smoke run")
    p.add_argument("--stream", type=int, default=0, metavar="N",
                   help="also measure medchat's streaming build of N vectors (memory)")
    p.add_argument("--stream-factory", default="IVF1024,PQ96")
    p.add_argument("--child", choices=["dense", "bm25", "stream"], help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, help=argparse.SUPPRESS)
    p.add_argument("--vectors", help=argparse.SUPPRESS)
    p.add_argument("--truth", help=argparse.SUPPRESS)
    p.add_argument("--exact", help=argparse.SUPPRESS)
    p.add_argument("--no-rescore", action="store_true", help="skip the exact re-scoring runs")
    args = p.parse_args(argv)
    if args.child:
        _child(args)
        return 0
    if args.tiny:
        args.sizes, args.bm25, args.queries, args.kinds = [20_000], [20_000], 50, "PQ48np"
    work, out = Path(args.workdir), Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    vectors = work / "vectors.f32"
    ensure_vectors(vectors, max([*args.sizes, args.stream]))
    result = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
              "load_start": os.getloadavg()[0], "dense": [], "bm25": [], "exact_s": {}}
    q = queries(args.queries)
    biggest = max([*args.sizes, args.stream])
    exact = None if args.no_rescore or not args.sizes else ensure_exact(vectors, biggest)
    for n in sorted(args.sizes):
        truth_path = work / f"truth-{n}-{len(q)}.npy"
        if not truth_path.exists():  # exact search over 5M rows takes minutes: done once
            truth, took = exact_topk(vectors, n, q, K)
            result["exact_s"][n] = round(took, 2)
            print(f"exact top-{K} of {len(q)} queries over {n:,}: {took:.1f} s", flush=True)
            np.save(truth_path, truth)
        ivf = args.kinds.split(",") if n < args.big else args.big_kinds.split(",")
        groups = ([["Flat"]] if n <= args.flat_max else []) + [ivf]
        for kinds in groups:  # a child per group: Flat's peak RSS is its own
            rows = _spawn(["--child", "dense", "--n", str(n), "--kinds", ",".join(kinds),
                           "--nlist", str(args.nlist),
                           "--nprobes", *map(str, args.nprobes),
                           "--vectors", str(vectors), "--truth", str(truth_path),
                           *(["--exact", str(exact)] if exact else [])])
            result["dense"] += rows or []
            _write(result, out)
    if args.stream:
        path = ensure_exact(vectors, biggest)
        result["stream"] = _spawn(["--child", "stream", "--n", str(args.stream),
                                   "--kinds", args.stream_factory, "--exact", str(path)])
        _write(result, out)
    for n in args.bm25:
        row = _spawn(["--child", "bm25", "--n", str(n), "--workdir", str(work)])
        if row:
            result["bm25"].append(row)
        _write(result, out)
    result["load_end"] = os.getloadavg()[0]
    _write(result, out)
    print(markdown(result))
    return 0


def _write(result: dict, out: Path) -> None:
    (out / "scale.json").write_text(json.dumps(result, indent=2))
    (out / "scale.md").write_text(markdown(result))


if __name__ == "__main__":
    sys.exit(main())

"""How many inverted lists a query must probe, as the number of lists grows.

An IVF index finds a neighbour only if it probes the neighbour's list, so its best recall@10 at
a given nprobe (what IVF-Flat, or IVF-PQ with exact re-scoring, approaches) is the share of the
exact top 10 that lie in the nprobe lists nearest the query. That needs only the coarse
quantiser, not the index: k-means, then each true neighbour's list against each query's probe
order. Measured on real MiniLM vectors (the built-in corpus's shipped passage embeddings, real
MedQuAD and Evidence Inference questions) and on the synthetic vectors of benchmarks/scale.py.

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/nprobe.py --out /tmp/nprobe
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from itertools import islice
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SHARES = (1 / 256, 1 / 128, 1 / 64, 1 / 32, 1 / 16, 1 / 8)
FLOORS = (8, 16, 32, 64)
K = 10


def list_recall(vectors: np.ndarray, queries: np.ndarray, nlist: int,
                nprobes: list[int]) -> dict[int, float]:
    """Share of each query's exact top 10 lying in its nprobe nearest lists, per nprobe."""
    import faiss

    from retrieval.dense import training_rows

    _, truth = faiss.knn(queries, vectors, K, metric=faiss.METRIC_INNER_PRODUCT)
    # medchat's coarse quantiser, trained as DenseIndex.build trains it
    ivf = faiss.index_factory(vectors.shape[1], f"IVF{nlist},Flat", faiss.METRIC_INNER_PRODUCT)
    rows = np.random.default_rng(0).permutation(len(vectors))[: training_rows(len(vectors), ivf)]
    ivf.train(np.ascontiguousarray(vectors[np.sort(rows)]))
    quantizer = faiss.extract_index_ivf(ivf).quantizer
    _, home = quantizer.search(np.ascontiguousarray(vectors[truth.ravel()]), 1)
    home = home.reshape(truth.shape)
    _, order = quantizer.search(queries, max(nprobes))
    out = {}
    for nprobe in nprobes:
        hits = [np.isin(home[i], order[i, :nprobe]).sum() for i in range(len(queries))]
        out[nprobe] = float(np.sum(hits) / (K * len(queries)))
    return out


def real_data(questions: int) -> tuple[np.ndarray, np.ndarray]:
    from corpus.builtin import BUILTIN_DIR
    from retrieval.embedder import Embedder

    path = next(BUILTIN_DIR.glob("embeddings-all-MiniLM-L6-v2-*.npz"))
    with np.load(path) as data:
        vectors = data["vectors"].astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    texts = []
    for name in ("medquad", "evidence_inference"):
        with open(REPO / "evals" / "data" / name / "questions_rerank_heldout.jsonl") as fh:
            texts += [json.loads(line)["question"] for line in islice(fh, questions // 2)]
    embedder = Embedder("all-MiniLM-L6-v2", "cpu", None, 64)
    return vectors, np.ascontiguousarray(embedder.encode(texts), dtype=np.float32)


def synthetic_data(path: Path, n: int, questions: int) -> tuple[np.ndarray, np.ndarray]:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from scale import queries, read_rows

    return read_rows(path, 0, n), queries(questions)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--real-nlists", type=int, nargs="*", default=[64, 128, 256, 512, 1024])
    p.add_argument("--synthetic", default="/tmp/medchat_scale/vectors.f32",
                   help="benchmarks/scale.py's vector file ('' to skip)")
    p.add_argument("--synthetic-n", type=int, default=1_000_000)
    p.add_argument("--synthetic-nlists", type=int, nargs="*", default=[256, 1024, 4096])
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--out", default="/tmp/medchat_nprobe")
    args = p.parse_args(argv)
    import faiss

    faiss.omp_set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = [("real MiniLM", real_data, args.real_nlists)]
    if args.synthetic and not Path(args.synthetic).exists():
        print(f"{args.synthetic} missing (benchmarks/scale.py writes it): synthetic skipped")
    elif args.synthetic:
        runs.append(("synthetic", lambda q: synthetic_data(Path(args.synthetic),
                                                           args.synthetic_n, q),
                     args.synthetic_nlists))
    rows = []
    for name, load, nlists in runs:
        vectors, queries = load(args.questions)
        for nlist in nlists:
            probes = sorted({max(1, min(nlist, round(s * nlist))) for s in SHARES}
                            | {f for f in FLOORS if f <= nlist})
            started = time.process_time()
            for nprobe, value in list_recall(vectors, queries, nlist, probes).items():
                rows.append({"data": name, "n": len(vectors), "queries": len(queries),
                             "nlist": nlist, "nprobe": nprobe,
                             "share": round(nprobe / nlist, 4), "recall@10": round(value, 4)})
                print(json.dumps(rows[-1]), flush=True)
            print(f"{name} nlist {nlist}: {time.process_time() - started:.0f} CPU s", flush=True)
    (out / "nprobe.json").write_text(json.dumps(rows, indent=2))
    lines = ["| data | n | nlist | nprobe | share of lists | recall@10 (list bound) |",
             "|---|---|---|---|---|---|"]
    lines += [f"| {r['data']} | {r['n']:,} | {r['nlist']} | {r['nprobe']} | {r['share']:.2%} "
              f"| {r['recall@10']} |" for r in rows]
    (out / "nprobe.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Exact re-scoring on real vectors: recall@10 against exact search, per code size, nprobe and
re-scoring factor, through medchat's DenseIndex (the float16 vectors re-scored from disk).

The built-in corpus's 49,864 shipped MiniLM passage vectors and 200 real MedQuAD / Evidence
Inference questions; IVF256 (the list bound at each nprobe is in benchmarks/nprobe.py). Recall
only: at 50k vectors the timings say nothing about tens of millions (benchmarks/scale.py).

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python benchmarks/rescore_real.py --out /tmp/rr
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

FACTORS = (0, 1, 2, 4, 10)
K = 10


def main(argv: list[str] | None = None) -> int:
    import faiss
    from nprobe import real_data

    from retrieval.dense import DenseIndex

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--codes", default="PQ32,PQ48,PQ96,SQ8")
    p.add_argument("--nlist", type=int, default=256)
    p.add_argument("--nprobes", type=int, nargs="+", default=[16, 32, 64])
    p.add_argument("--questions", type=int, default=200)
    p.add_argument("--out", default="/tmp/medchat_rescore_real")
    args = p.parse_args(argv)
    faiss.omp_set_num_threads(1)
    vectors, queries = real_data(args.questions)
    vectors = vectors.astype(np.float16)  # what an index keeps; float32 copies made per block
    ids = np.arange(len(vectors))
    _, exact = DenseIndex.build(vectors, ids, "Flat").search(queries, K)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / "v.npy", vectors)
        on_disk = np.load(Path(tmp) / "v.npy", mmap_mode="r")
        for code in args.codes.split(","):
            factory = f"IVF{args.nlist},{code}"
            dense = DenseIndex.build(on_disk, ids, factory)
            for nprobe in args.nprobes:
                dense.set_nprobe(nprobe)
                for factor in FACTORS:
                    dense.rescore = factor
                    _, found = dense.search(queries, K)
                    hits = sum(len(set(f) & set(e)) for f, e in zip(found, exact, strict=True))
                    rows.append({"factory": factory, "nprobe": nprobe, "rescore": factor,
                                 "recall@10": round(hits / (K * len(queries)), 4)})
                    print(json.dumps(rows[-1]), flush=True)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "rescore_real.json").write_text(json.dumps(rows, indent=2))
    lines = ["| index | nprobe | " + " | ".join(f"rescore {f}" for f in FACTORS) + " |",
             "|---|---|" + "---|" * len(FACTORS)]
    for i in range(0, len(rows), len(FACTORS)):
        group = rows[i : i + len(FACTORS)]
        lines.append(f"| {group[0]['factory']} | {group[0]['nprobe']} | "
                     + " | ".join(str(r["recall@10"]) for r in group) + " |")
    (out / "rescore_real.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Two rerankers on the same held-out questions: each one's figures and the paired difference.

    python benchmarks/rerank_compare.py BEFORE_DIR AFTER_DIR [--weight W] [--out FILE]

BEFORE_DIR and AFTER_DIR are `benchmarks/rerank_blend.py` run folders over the same test sets
(same `--test` files and `--weight W`), one per reranker. The first stage is deterministic, so
both folders hold the same candidates and only the reranker's scores differ; every question found
in both is scored from its saved candidates, per reranker, alone (weight 1) and blended at W.
Reported per set: nDCG@10, recall@1, recall@5 and MRR@10 of each, with 95% bootstrap CIs, and
AFTER - BEFORE with the CI of the paired per-question difference. Nothing is re-embedded.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import rerank_blend as rb  # noqa: E402

from evals import metrics as m  # noqa: E402
from evals.formats import read_questions  # noqa: E402
from evals.itemlog import ItemLog  # noqa: E402

METRICS = ("ndcg@10", "recall@1", "recall@5", "mrr@10")


def per_question(cands: list[rb.Candidates], gold: dict[str, tuple[str, ...]],
                 weight: float) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for c in cands:
        ranked, g = rb.ranking(c, weight), gold[c.id]
        values["ndcg@10"].append(m.ndcg_at_k(ranked, g, 10))
        values["recall@1"].append(m.recall_at_k(ranked, g, 1))
        values["recall@5"].append(m.recall_at_k(ranked, g, 5))
        values["mrr@10"].append(m.reciprocal_rank(ranked, g, 10))
    return values


def compare(before: dict[str, list[float]], after: dict[str, list[float]], seed: int) -> dict:
    out = {}
    for name in METRICS:
        diff = [a - b for a, b in zip(after[name], before[name], strict=True)]
        out[name] = {"before": m.mean(before[name]),
                     "before_ci": list(m.bootstrap_mean_ci(before[name], seed)),
                     "after": m.mean(after[name]),
                     "after_ci": list(m.bootstrap_mean_ci(after[name], seed)),
                     "diff": m.mean(diff), "diff_ci": list(m.bootstrap_mean_ci(diff, seed))}
    return out


def table(results: dict) -> str:
    lines = ["| set | n | method | metric | before [95% CI] | after [95% CI] | after - before "
             "[95% CI] |", "|---|---|---|---|---|---|---|"]
    for kind, section in results["sets"].items():
        for method, rows in section["methods"].items():
            for name, r in rows.items():
                lines.append(
                    f"| {kind} | {section['n']} | {method} | {name} | {r['before']:.3f} "
                    f"[{r['before_ci'][0]:.3f}, {r['before_ci'][1]:.3f}] | {r['after']:.3f} "
                    f"[{r['after_ci'][0]:.3f}, {r['after_ci'][1]:.3f}] | {r['diff']:+.3f} "
                    f"[{r['diff_ci'][0]:+.3f}, {r['diff_ci'][1]:+.3f}] |")
    return "\n".join(lines) + "\n"


def saved(folder: Path, label: str, questions, gold: dict) -> dict[str, rb.Candidates]:
    """The candidates a run folder holds for these questions (read only: nothing is collected)."""
    log = ItemLog(folder / f"candidates-{label}.jsonl", resume=True)
    return {q.id: rb.Candidates(q.id, tuple(log.get(q.id)["docs"]), tuple(log.get(q.id)["rerank"]))
            for q in questions if q.id in log and q.id in gold}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--weight", type=float, help="blend weight (default: BEFORE's)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write results JSON here")
    args = parser.parse_args(argv)

    from dataclasses import replace

    from evals.corpusdata import aliases_of
    from evals.suites.retrieval import resolve_gold
    from evals.system import System
    from retrieval import Retriever

    run = json.loads((args.before / "results.json").read_text())
    weight = run["weight"] if args.weight is None else args.weight
    settings = System.load(None, None, progress=False).settings
    index = Retriever.load(Path(run["index"]), replace(settings.retrieval, reranker=""),
                           settings.chunking, model_cache=settings.model_cache).index
    aliases = aliases_of(index.store.iter_passages())
    results: dict = {"before": str(args.before), "after": str(args.after), "weight": weight,
                     "sets": {}}
    for key, path in run["files"].items():
        phase, kind = key.split(":", 1)
        if phase != "test":
            continue
        questions = read_questions(path)
        gold = resolve_gold(questions, aliases).gold
        label = f"test-{rb.slug(kind)}"
        before = saved(args.before, label, questions, gold)
        after = saved(args.after, label, questions, gold)
        both = [q.id for q in questions if q.id in before and q.id in after]
        cands_b, cands_a = [before[i] for i in both], [after[i] for i in both]
        if [c.docs for c in cands_a] != [c.docs for c in cands_b]:
            raise SystemExit(f"{kind}: the two runs' first-stage candidates differ")
        results["sets"][kind] = {"n": len(both), "file": path, "methods": {
            "reranker alone (w=1)": compare(per_question(cands_b, gold, 1.0),
                                            per_question(cands_a, gold, 1.0), args.seed),
            f"blended (w={weight})": compare(per_question(cands_b, gold, weight),
                                              per_question(cands_a, gold, weight), args.seed),
        }}
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

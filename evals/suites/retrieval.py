"""Retrieval suite: rank documents for each question with the system's mode and the baselines.

All modes query the same index, so the comparison isolates the ranking method. Rankings are
document-level: passage hits are reduced to their document ids, first rank kept.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tqdm import tqdm

from evals import metrics as m
from evals.context import RunContext
from evals.formats import Question
from evals.ports import Searcher

KS = (1, 5, 10, 20)
METRICS = tuple(f"recall@{k}" for k in KS) + ("mrr@10", "ndcg@10")
HIGHER_IS_BETTER = METRICS
PASSAGES_PER_QUERY = 50  # passages fetched per query, so ~20 distinct documents survive dedupe
BATCH = 32


@dataclass(frozen=True)
class GoldCheck:
    """Gold ids resolved against the corpus: which questions can be scored, and what was missing."""

    gold: dict[str, tuple[str, ...]]  # question id -> gold doc ids present in the corpus
    missing_ids: tuple[str, ...]  # gold ids not in the corpus
    unscorable: tuple[str, ...]  # question ids with no gold id in the corpus (or none at all)


def resolve_gold(questions: Sequence[Question], aliases: dict[str, str] | None) -> GoldCheck:
    """Map gold PMIDs/doc ids to corpus doc ids. `aliases` (any id -> doc id) None: unknown corpus,
    every gold id is taken as given."""
    gold: dict[str, tuple[str, ...]] = {}
    missing: list[str] = []
    unscorable: list[str] = []
    for q in questions:
        if aliases is None:
            found = q.gold_ids
        else:
            found = tuple(aliases[g] for g in q.gold_ids if g in aliases)
            missing += [g for g in q.gold_ids if g not in aliases]
        if found:
            gold[q.id] = tuple(dict.fromkeys(found))
        else:
            unscorable.append(q.id)
    return GoldCheck(gold, tuple(dict.fromkeys(missing)), tuple(unscorable))


def doc_ranking(hits: Iterable) -> list[str]:
    """Distinct document ids in rank order (the first passage of a document stands for it)."""
    return m.dedupe(hit.passage.doc_id for hit in hits)[: max(KS)]


def run_rankings(
    questions: Sequence[Question],
    searcher: Searcher,
    modes: Sequence[str],
    ctx: RunContext,
    speed: dict[str, float] | None = None,
) -> dict[str, dict[str, list[str]]]:
    """mode -> question id -> ranked doc ids; resumable through the item log.

    `speed`, if given, receives each mode's queries per second over the queries run now.
    """
    log = ctx.item_log("retrieval")
    rankings: dict[str, dict[str, list[str]]] = {}
    for mode in modes:
        todo = [q for q in questions if f"{mode}:{q.id}" not in log]
        started = time.perf_counter()
        bar = tqdm(total=len(questions), desc=f"querying ({mode})", disable=not ctx.progress)
        bar.update(len(questions) - len(todo))
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            results = searcher.search_many([q.question for q in batch], PASSAGES_PER_QUERY, mode)
            for q, hits in zip(batch, results, strict=True):
                log.add(f"{mode}:{q.id}", {"mode": mode, "id": q.id, "ranked": doc_ranking(hits)})
            bar.update(len(batch))
        bar.close()
        if speed is not None and todo:
            speed[mode] = len(todo) / (time.perf_counter() - started)
        rankings[mode] = {q.id: log.get(f"{mode}:{q.id}")["ranked"] for q in questions}
    return rankings


def score(
    rankings: dict[str, list[str]], gold: dict[str, tuple[str, ...]], seed: int
) -> dict[str, object]:
    """Mean of each metric over the scorable questions, with a bootstrap 95% CI."""
    per_metric: dict[str, list[float]] = {name: [] for name in METRICS}
    for qid, gold_ids in gold.items():
        ranked = rankings[qid]
        for k in KS:
            per_metric[f"recall@{k}"].append(m.recall_at_k(ranked, gold_ids, k))
        per_metric["mrr@10"].append(m.reciprocal_rank(ranked, gold_ids, 10))
        per_metric["ndcg@10"].append(m.ndcg_at_k(ranked, gold_ids, 10))
    result: dict[str, object] = {name: m.mean(values) for name, values in per_metric.items()}
    result["ci"] = {name: list(m.bootstrap_mean_ci(v, seed)) for name, v in per_metric.items()}
    result["n"] = len(gold)
    return result


def ratios_to_best(system: dict, baselines: dict[str, dict], names: Sequence[str]) -> dict:
    """system / best baseline per metric (higher is better for all of `names`); None if 0."""
    ratios: dict[str, float | None] = {}
    for name in names:
        best = max((b[name] for b in baselines.values() if b[name] == b[name]), default=None)
        ratios[name] = system[name] / best if best else None
    return ratios


def run(
    questions: Sequence[Question],
    searcher: Searcher,
    system_mode: str,
    ctx: RunContext,
    aliases: dict[str, str] | None,
    baseline_modes: Sequence[str] = ("bm25", "dense"),
) -> dict[str, object]:
    """The `retrieval` section of results.json."""
    check = resolve_gold(questions, aliases)
    scorable = [q for q in questions if q.id in check.gold]
    modes = list(dict.fromkeys([system_mode, *baseline_modes]))
    speed: dict[str, float] = {}
    rankings = run_rankings(scorable, searcher, modes, ctx, speed)
    section: dict[str, object] = {"mode": system_mode, **score(rankings[system_mode], check.gold,
                                                                ctx.seed)}
    baselines = {b: score(rankings[b], check.gold, ctx.seed) for b in baseline_modes}
    section["baselines"] = baselines
    section["queries_per_s"] = speed  # batches of 32; only modes queried in this run
    section["ratio_to_best_baseline"] = ratios_to_best(section, baselines, HIGHER_IS_BETTER)
    section["questions"] = len(questions)
    section["missing_gold_ids"] = len(check.missing_ids)
    section["missing_gold_examples"] = list(check.missing_ids[:10])
    section["unscorable_questions"] = len(check.unscorable)
    return section

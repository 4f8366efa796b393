"""QA suite: a constrained choice (yes/no/maybe, or one of three effect labels) per question.

The reader sees either the retrieved passages or, with `--gold-context`, the gold document's own
passages; the second isolates reading from retrieval.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from evals import metrics as m
from evals.context import RunContext
from evals.formats import DECISIONS, LABELS, Question
from evals.ports import Chooser

TASK_LABELS = {"decision": DECISIONS, "label": LABELS}
PassageSource = Callable[[Question], Sequence[Any]]


def answer_all(
    questions: Sequence[Question], chooser: Chooser, passages_for: PassageSource, ctx: RunContext
) -> list[dict]:
    """One record per question (gold, predicted, passage ids), resumable through the item log."""
    log = ctx.item_log("qa")
    records = []
    for q in tqdm(questions, desc="choosing answers", disable=not ctx.progress):
        if q.id not in log:
            passages = list(passages_for(q))
            choice = chooser.choose(q.question, list(q.options), passages)
            ids = [p.citation_id for p in passages] + [p.doc_id for p in passages]
            log.add(
                q.id,
                {
                    "task": q.task,
                    "gold": q.gold_answer,
                    "predicted": choice.label,
                    "scores": {k: float(v) for k, v in dict(choice.scores or {}).items()},
                    "passages": [p.citation_id for p in passages],
                    "gold_in_passages": bool(set(q.gold_ids) & set(ids)),
                },
            )
        records.append(log.get(q.id))
    return records


def classification(records: Sequence[dict], labels: Sequence[str], seed: int) -> dict[str, object]:
    """accuracy and macro-F1 (with bootstrap CIs) and the confusion matrix of some records."""
    gold = [r["gold"] for r in records]
    pred = [r["predicted"] for r in records]
    pairs = list(zip(gold, pred, strict=True))

    def f1_of(sample: Sequence[tuple[str, str]]) -> float:
        return m.macro_f1([g for g, _ in sample], [p for _, p in sample], labels)

    return {
        "n": len(records),
        "accuracy": m.accuracy(gold, pred),
        "macro_f1": m.macro_f1(gold, pred, labels),
        "ci": {
            "accuracy": list(m.bootstrap_mean_ci([float(g == p) for g, p in pairs], seed)),
            "macro_f1": list(m.bootstrap_ci(pairs, f1_of, seed, resamples=500)),
        },
        "labels": list(labels),
        "confusion": m.confusion_matrix(gold, pred, labels),
        "f1_per_label": m.f1_per_label(gold, pred, labels),
    }


def majority_baseline(records: Sequence[dict], labels: Sequence[str]) -> dict[str, float]:
    """Always answering the most frequent gold label of the evaluated set."""
    gold = [r["gold"] for r in records]
    constant = [m.majority_label(gold)] * len(gold) if gold else []
    return {"accuracy": m.accuracy(gold, constant), "macro_f1": m.macro_f1(gold, constant, labels)}


def run(
    questions: Sequence[Question],
    chooser: Chooser,
    passages_for: PassageSource,
    ctx: RunContext,
    gold_context: bool,
) -> dict[str, object]:
    """The `qa` section of results.json: pooled metrics at the top, one entry per task beside."""
    usable = [q for q in questions if q.task is not None]
    records = answer_all(usable, chooser, passages_for, ctx)
    tasks = {}
    for task, labels in TASK_LABELS.items():
        subset = [r for r in records if r["task"] == task]
        if subset:
            tasks[task] = {**classification(subset, labels, ctx.seed),
                           "baselines": {"majority": majority_baseline(subset, labels)}}
    pooled_labels = [label for task in tasks for label in TASK_LABELS[task]]
    section: dict[str, object] = classification(records, pooled_labels, ctx.seed)
    section.pop("confusion")
    section.pop("labels")
    section["baselines"] = {"majority": _pooled_majority(records, tasks)}
    best = section["baselines"]["majority"]
    section["ratio_to_best_baseline"] = {
        k: (section[k] / best[k] if best[k] else None) for k in ("accuracy", "macro_f1")
    }
    section["gold_in_passages"] = m.mean([float(r["gold_in_passages"]) for r in records])
    section["context"] = "gold" if gold_context else "retrieved"
    section["tasks"] = tasks
    section["skipped_without_decision_or_label"] = len(questions) - len(usable)
    return section


def _pooled_majority(records: Sequence[dict], tasks: dict) -> dict[str, float]:
    """The majority baseline applied per task, scored over all records together."""
    majority = {t: m.majority_label([r["gold"] for r in records if r["task"] == t]) for t in tasks}
    gold = [r["gold"] for r in records]
    constant = [majority[r["task"]] for r in records]
    labels = [label for task in tasks for label in TASK_LABELS[task]]
    return {"accuracy": m.accuracy(gold, constant), "macro_f1": m.macro_f1(gold, constant, labels)}

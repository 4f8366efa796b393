"""Triage suite: assess each vignette and compare the level with the gold one on a 3-level scale.

The assessor may answer on a 4-level scale; urgent and routine both count as non-emergency.
Under-triage (answer less urgent than gold) is the dangerous error and is reported on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from evals import metrics as m
from evals.context import RunContext
from evals.formats import Vignette

Assess = Callable[[str], Any]


def assess_all(vignettes: Sequence[Vignette], assess: Assess, ctx: RunContext) -> list[dict]:
    log = ctx.item_log("triage")
    records = []
    for v in tqdm(vignettes, desc="triage", disable=not ctx.progress):
        if v.id not in log:
            result = assess(v.text)  # the text only: never the gold level or the diagnosis
            log.add(
                v.id,
                {
                    "gold": v.gold,
                    "level": result.level,
                    "predicted": m.three_level(result.level),
                    "source": getattr(result, "source", None),
                    "confident": getattr(result, "confident", None),
                    "red_flags": list(getattr(result, "red_flags", []) or []),
                },
            )
        records.append(log.get(v.id))
    return records


def run(vignettes: Sequence[Vignette], assess: Assess, ctx: RunContext) -> dict[str, object]:
    """The `triage` section of results.json."""
    records = assess_all(vignettes, assess, ctx)
    gold = [r["gold"] for r in records]
    pred = [r["predicted"] for r in records]
    labels = list(m.TRIAGE_LEVELS)
    correct = [float(g == p) for g, p in zip(gold, pred, strict=True)]
    emergencies = [float(p == "emergency") for g, p in zip(gold, pred, strict=True)
                   if g == "emergency"]
    under = [float(m.under_triage_rate([g], [p])) for g, p in zip(gold, pred, strict=True)]
    return {
        "n": len(records),
        "accuracy": m.accuracy(gold, pred),
        "macro_f1": m.macro_f1(gold, pred, labels),
        "emergency_sensitivity": m.emergency_sensitivity(gold, pred),
        "under_triage_rate": m.under_triage_rate(gold, pred),
        "over_triage_rate": m.over_triage_rate(gold, pred),
        "ci": {
            "accuracy": list(m.bootstrap_mean_ci(correct, ctx.seed)),
            "emergency_sensitivity": list(m.bootstrap_mean_ci(emergencies, ctx.seed)),
            "under_triage_rate": list(m.bootstrap_mean_ci(under, ctx.seed)),
        },
        "accuracy_per_level": {
            level: m.mean([c for c, g in zip(correct, gold, strict=True) if g == level])
            for level in labels
        },
        "labels": labels,
        "confusion": m.confusion_matrix(gold, pred, labels),
        "answers_by_source": _count(r["source"] for r in records),
    }


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[str(v)] = counts.get(str(v), 0) + 1
    return counts

"""Triage suite: vignettes (one text each) and conversations (a patient's messages in turn).

The assessor may answer on a 4-level scale; urgent and routine both count as non-emergency.
Under-triage (answer less urgent than gold) is the dangerous error and is reported on its own;
for conversations, `escalated_in_time` says whether the level had reached gold by the turn the
file names, since an emergency revealed on turn 3 must be escalated on turn 3, not at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tqdm import tqdm

from evals import metrics as m
from evals.context import RunContext
from evals.formats import Conversation, Vignette

Assess = Callable[[str], Any]
NewSession = Callable[[], Any]  # a fresh intake session: .reply(message) -> turn with .result


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


def converse_all(
    conversations: Sequence[Conversation], new_session: NewSession, ctx: RunContext
) -> list[dict]:
    """Play each conversation into a fresh session; record the level after every message."""
    log = ctx.item_log("triage-conversations")
    records = []
    for c in tqdm(conversations, desc="conversations", disable=not ctx.progress):
        if c.id not in log:
            session = new_session()
            levels = [session.reply(turn).result.level for turn in c.turns]
            reached = m.three_level(levels[c.escalate_by - 1])
            log.add(c.id, {
                "id": c.id,
                "gold": c.gold,
                "escalate_by": c.escalate_by,
                "levels": levels,
                "predicted": m.three_level(levels[-1]),
                "in_time": m.at_least_as_urgent(c.gold, reached),
                "first_emergency_turn": next(
                    (i for i, level in enumerate(levels, 1) if level == "emergency"), None
                ),
            })
        records.append(log.get(c.id))
    return records


def scores(records: Sequence[dict], seed: int) -> dict[str, object]:
    """The 3-level figures shared by vignettes and conversations."""
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
        "self_care_over_triage": m.self_care_over_triage(gold, pred),
        "emergencies_to_self_care": sum(
            g == "emergency" and p == "self-care" for g, p in zip(gold, pred, strict=True)
        ),
        "ci": {
            "accuracy": list(m.bootstrap_mean_ci(correct, seed)),
            "emergency_sensitivity": list(m.bootstrap_mean_ci(emergencies, seed)),
            "under_triage_rate": list(m.bootstrap_mean_ci(under, seed)),
        },
        "accuracy_per_level": {
            level: m.mean([c for c, g in zip(correct, gold, strict=True) if g == level])
            for level in labels
        },
        "labels": labels,
        "confusion": m.confusion_matrix(gold, pred, labels),
    }


def run(vignettes: Sequence[Vignette], assess: Assess, ctx: RunContext) -> dict[str, object]:
    """The `triage` section of results.json."""
    records = assess_all(vignettes, assess, ctx)
    return {**scores(records, ctx.seed),
            "answers_by_source": _count(r["source"] for r in records)}


def run_conversations(
    conversations: Sequence[Conversation], new_session: NewSession, ctx: RunContext
) -> dict[str, object]:
    """The `triage_conversations` section: final-level figures plus timeliness."""
    records = converse_all(conversations, new_session, ctx)
    in_time = [float(r["in_time"]) for r in records]
    emergency_in_time = [float(r["in_time"]) for r in records if r["gold"] == "emergency"]
    return {
        **scores(records, ctx.seed),
        "escalated_in_time": m.mean(in_time),
        "emergency_escalated_in_time": m.mean(emergency_in_time),
        "late": [r["id"] for r in records if not r["in_time"]],
    }


def _count(values) -> dict[str, int]:
    counts: dict[str, int] = {}
    for v in values:
        counts[str(v)] = counts.get(str(v), 0) + 1
    return counts

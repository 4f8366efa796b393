"""Evaluation metrics as pure functions of plain lists, so each can be checked by hand.

Retrieval metrics are per question (average them with `mean`) so that the same values feed the
bootstrap confidence interval. Relevance is binary and document-level: a ranking is a list of
document ids, and several passages of one document count once, at the best rank (`dedupe`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np

from assistant.triage.levels import three_level as to_three_levels

T = TypeVar("T")
H = TypeVar("H", bound=Hashable)


# --- retrieval ---------------------------------------------------------------------------------


def dedupe(ranked: Iterable[H]) -> list[H]:
    """Keep each id at its first (best) rank, so a document with many passages counts once."""
    return list(dict.fromkeys(ranked))


def recall_at_k(ranked: Sequence[str], gold: Iterable[str], k: int) -> float:
    """Fraction of the gold documents found among the first k distinct documents."""
    gold_set = set(gold)
    if not gold_set:
        raise ValueError("recall needs at least one gold id")
    return len(gold_set & set(dedupe(ranked)[:k])) / len(gold_set)


def reciprocal_rank(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """1/rank of the first gold document within the top k distinct documents, else 0."""
    gold_set = set(gold)
    for rank, doc in enumerate(dedupe(ranked)[:k], 1):
        if doc in gold_set:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranked: Sequence[str], gold: Iterable[str], k: int = 10) -> float:
    """Binary-relevance nDCG: DCG of the distinct ranking over the DCG of a perfect one."""
    gold_set = set(gold)
    if not gold_set:
        raise ValueError("nDCG needs at least one gold id")
    dcg = sum(
        1.0 / math.log2(rank + 1)
        for rank, doc in enumerate(dedupe(ranked)[:k], 1)
        if doc in gold_set
    )
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(len(gold_set), k) + 1))
    return dcg / ideal


def mean(values: Sequence[float]) -> float:
    """Arithmetic mean; NaN for no values, so an empty set never reads as a perfect score."""
    return float(sum(values) / len(values)) if values else math.nan


# --- classification ----------------------------------------------------------------------------


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _same_length(gold, predicted)
    return mean([float(g == p) for g, p in zip(gold, predicted, strict=True)])


def confusion_matrix(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> list[list[int]]:
    """Counts with rows = gold label, columns = predicted label, in the order of `labels`.

    A prediction outside `labels` is not counted in any column (its row total shows it missing).
    """
    _same_length(gold, predicted)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if g in index and p in index:
            matrix[index[g]][index[p]] += 1
    return matrix


def f1_per_label(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, float]:
    """F1 of each label against the rest; 0 where the label is neither gold nor predicted right."""
    _same_length(gold, predicted)
    scores = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted, strict=True) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g == label and p != label)
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def macro_f1(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None
) -> float:
    """Unweighted mean of per-label F1 over `labels` (default: every label seen in gold or
    predicted), so a rare class counts as much as a frequent one."""
    if labels is None:
        labels = sorted(set(gold) | set(predicted))
    if not labels:
        return math.nan
    return mean(list(f1_per_label(gold, predicted, labels).values()))


def majority_label(gold: Sequence[str]) -> str:
    """Most frequent gold label (ties broken alphabetically): the floor any reader must beat."""
    counts: dict[str, int] = {}
    for g in gold:
        counts[g] = counts.get(g, 0) + 1
    return min(counts, key=lambda label: (-counts[label], label))


# --- confidence intervals ----------------------------------------------------------------------


def bootstrap_ci(
    items: Sequence[T],
    statistic: Callable[[Sequence[T]], float],
    seed: int = 0,
    resamples: int = 1000,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic` over items resampled with replacement.

    Seeded, so two runs of the same results report the same interval.
    """
    if not items:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    n = len(items)
    draws = rng.integers(0, n, size=(resamples, n))
    stats = np.array([statistic([items[i] for i in row]) for row in draws], dtype=float)
    return _percentiles(stats, level)


def bootstrap_mean_ci(
    values: Sequence[float], seed: int = 0, resamples: int = 1000, level: float = 0.95
) -> tuple[float, float]:
    """`bootstrap_ci` of the mean, vectorised (per-question metrics over thousands of items)."""
    if not values:
        return (math.nan, math.nan)
    array = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(array), size=(resamples, len(array)))
    return _percentiles(array[draws].mean(axis=1), level)


def _percentiles(stats: np.ndarray, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    low, high = np.nanpercentile(stats, [tail, 100 - tail])
    return (float(low), float(high))


# --- answers with citations ---------------------------------------------------------------------


def citation_precision(supported: Sequence[bool]) -> float:
    """Supported cited sentences / cited sentences (one flag per cited sentence)."""
    return mean([float(s) for s in supported])


def citation_validity(cited_ids: Sequence[str], given_ids: Iterable[str]) -> float:
    """Share of citations that point at a passage the answer was actually given."""
    given = set(given_ids)
    return mean([float(c in given) for c in cited_ids])


def abstention_rate(abstained: Sequence[bool]) -> float:
    return mean([float(a) for a in abstained])


# --- triage ------------------------------------------------------------------------------------

TRIAGE_LEVELS = ("emergency", "non-emergency", "self-care")  # most to least urgent


def three_level(level: str) -> str:
    """A 4-level answer (or a 3-level gold label) on the vignettes' 3-level scale, by triage's
    own mapping (urgent/routine -> non-emergency); a level on neither scale is refused, so a typo
    in a gold file cannot pass for a level."""
    mapped = to_three_levels(level)
    if mapped not in TRIAGE_LEVELS:
        raise ValueError(f"unknown triage level {level!r}")
    return mapped


def _urgency(level: str) -> int:
    return len(TRIAGE_LEVELS) - TRIAGE_LEVELS.index(three_level(level))


def emergency_sensitivity(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of gold emergencies answered as emergency (NaN when there are none)."""
    _same_length(gold, predicted)
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if three_level(g) == "emergency"]
    return mean([float(three_level(p) == "emergency") for _, p in pairs])


def under_triage_rate(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of all cases answered less urgent than gold: the dangerous error."""
    _same_length(gold, predicted)
    return mean([float(_urgency(p) < _urgency(g)) for g, p in zip(gold, predicted, strict=True)])


def over_triage_rate(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of all cases answered more urgent than gold: costly, not dangerous."""
    _same_length(gold, predicted)
    return mean([float(_urgency(p) > _urgency(g)) for g, p in zip(gold, predicted, strict=True)])


def self_care_over_triage(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of gold self-care cases sent to a clinician or emergency care (NaN when none)."""
    _same_length(gold, predicted)
    return mean([float(three_level(p) != "self-care")
                 for g, p in zip(gold, predicted, strict=True) if three_level(g) == "self-care"])


def at_least_as_urgent(gold: str, predicted: str) -> bool:
    """True when `predicted` is as urgent as `gold` or more (the level a case needed by then)."""
    return _urgency(predicted) >= _urgency(gold)


# --- latency -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    return float(np.percentile(np.asarray(values, dtype=float), q))


def _same_length(a: Sequence, b: Sequence) -> None:
    if len(a) != len(b):
        raise ValueError(f"gold and predicted differ in length: {len(a)} != {len(b)}")

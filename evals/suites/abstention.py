"""Abstention gate: does the assistant say "not covered" exactly when the corpus lacks the answer?

Each development question is asked twice: as is (its gold documents are indexed: the gate should
pass it) and with its gold topic removed from the candidates (every document sharing a gold
document's title is filtered out of the retrieved list: the gate should abstain). The gate sees
what the assistant would show (one passage per document, top k) and scores it by similarity and
key-term coverage (`assistant.relevance`). Abstention precision = removed-topic questions among
abstentions; recall = share of removed-topic questions abstained on; false_abstention = share of
answerable questions abstained on. The thresholds are chosen on the even-numbered questions (the
most recall refusing at most 10% of answerable questions) and reported on the odd ones; the same
choice with similarity alone is reported beside, for comparison.

    python -m evals.suites.abstention --questions FILE... [--limit N] [--reranker NAME] [--out F]
    python -m evals.suites.abstention --records F      # re-analyse the scores an --out saved
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evals import metrics as m
from evals.formats import Question, read_questions

SIDES = ("covered", "removed")
FETCH = 50  # candidates per question before filtering, as many as retrieval fuses
BATCH = 32
MAX_FALSE_ABSTENTION = 0.10  # share of answerable questions the gate may refuse


def without_topics(hits: Sequence, gold_ids: Sequence[str], titles: dict[str, str]) -> list:
    """The hits minus every document on a gold document's topic (same title, case-insensitive)."""
    topics = {titles[g].strip().lower() for g in gold_ids if g in titles}
    gold = set(gold_ids)
    return [h for h in hits if h.passage.doc_id not in gold and h.passage.pmid not in gold
            and (h.passage.title or "").strip().lower() not in topics]


def score_pair(
    question: Question, hits: Sequence, titles: dict[str, str], k: int,
    distinct: Callable[[Sequence, int], list], score: Callable[[str, list], tuple[float, float]],
) -> dict:
    """The gate's (similarity, coverage) with the gold topic indexed and with it removed."""
    covered = distinct(hits, k)
    removed = distinct(without_topics(hits, question.gold_ids, titles), k)
    sides = {}
    for side, hits_shown in (("covered", covered), ("removed", removed)):
        similarity, share = score(question.question, hits_shown)
        sides[side] = {"score": similarity, "coverage": share}
    return {"id": question.id, **sides,
            "gold_first": bool(covered) and bool(
                {covered[0].passage.doc_id, covered[0].passage.pmid} & set(question.gold_ids))}


def abstains(side: dict, threshold: float, min_coverage: float) -> bool:
    return side["score"] < threshold or side["coverage"] < min_coverage


def figures(records: Sequence[dict], threshold: float, min_coverage: float) -> dict[str, float]:
    """Abstention precision/recall and false abstentions at one pair of thresholds."""
    on_removed = [abstains(r["removed"], threshold, min_coverage) for r in records]
    on_covered = [abstains(r["covered"], threshold, min_coverage) for r in records]
    abstained = sum(on_removed) + sum(on_covered)
    return {
        "threshold": threshold,
        "min_coverage": min_coverage,
        "n": len(records),
        "abstention_precision": sum(on_removed) / abstained if abstained else float("nan"),
        "abstention_recall": m.mean([float(a) for a in on_removed]),
        "false_abstention": m.mean([float(a) for a in on_covered]),
    }


def choose_thresholds(
    records: Sequence[dict], max_false: float = MAX_FALSE_ABSTENTION, use_coverage: bool = True
) -> tuple[float, float]:
    """The (similarity, coverage) thresholds catching most removed-topic questions while
    refusing at most `max_false` of the answerable ones: a doctor loses an answer at most one
    time in ten. Without `use_coverage`, similarity alone (coverage threshold 0)."""
    scores = sorted({round(r[side]["score"], 3) for r in records for side in SIDES})
    cut_scores = [scores[int(i)] for i in np.linspace(0, len(scores) - 1, 60)]
    cut_coverages = [c / 20 for c in range(21)] if use_coverage else [0.0]
    best, best_recall = (min(scores), 0.0), -1.0
    for t in cut_scores:
        for c in cut_coverages:
            f = figures(records, t, c)
            if f["false_abstention"] <= max_false and f["abstention_recall"] > best_recall:
                best, best_recall = (t, c), f["abstention_recall"]
    return best


def split_report(records: Sequence[dict], use_coverage: bool = True) -> dict:
    """Thresholds chosen on the even records, figures on the odd ones (and on all, for scale)."""
    dev, test = list(records[0::2]), list(records[1::2])
    threshold, min_coverage = choose_thresholds(dev, use_coverage=use_coverage)
    return {"threshold": threshold, "min_coverage": min_coverage,
            "dev": figures(dev, threshold, min_coverage),
            "test": figures(test, threshold, min_coverage),
            "all": figures(records, threshold, min_coverage)}


def summarise(per_file: dict[str, list[dict]], settings: dict,
              fixed: tuple[float, float] | None = None) -> dict:
    """Pooled figures (thresholds chosen on the even half unless fixed), similarity alone for
    comparison, and per-file figures."""
    pooled = [r for records in per_file.values() for r in records]
    report: dict = {"settings": settings}
    if fixed is None:
        report["pooled"] = split_report(pooled)
        report["similarity_only"] = split_report(pooled, use_coverage=False)
        fixed = (report["pooled"]["threshold"], report["pooled"]["min_coverage"])
    else:
        report["pooled"] = {"all": figures(pooled, *fixed)}
    report["files"] = {path: {"test": figures(records[1::2], *fixed),
                              "all": figures(records, *fixed),
                              "gold_first": m.mean([float(r["gold_first"]) for r in records])}
                       for path, records in per_file.items()}
    return report


def main(argv: list[str] | None = None) -> int:
    from assistant.assistant import distinct_documents
    from assistant.relevance import assess
    from assistant.settings import command_line, load_settings
    from retrieval.retriever import Retriever

    p = argparse.ArgumentParser(prog="python -m evals.suites.abstention", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", nargs="+", default=[])
    p.add_argument("--records", help="the --out file of an earlier run: re-analyse its scores")
    p.add_argument("--limit", type=int)
    p.add_argument("--reranker", default=None, help="rerank (the gate then uses its score)")
    p.add_argument("--threshold", type=float, nargs=2, metavar=("SIMILARITY", "COVERAGE"),
                   help="report at these thresholds, do not choose them")
    p.add_argument("--out", help="write the per-question scores and the figures here (JSON)")
    args = p.parse_args(argv)
    if args.records:
        saved = json.loads(Path(args.records).read_text())
        print(json.dumps(summarise(saved["records"], saved["settings"],
                                   tuple(args.threshold) if args.threshold else None), indent=2))
        return 0
    if not args.questions:
        p.error("give --questions FILE... (or --records FILE)")
    settings = load_settings(None, overrides=command_line({"reranker": args.reranker}))
    retrieval = settings.retrieval
    retriever = Retriever.load(settings.index_dir, retrieval, settings.chunking,
                               model_cache=settings.model_cache)
    titles = retriever.index.store.titles()
    encode = retriever.embedder.encode

    def score(question: str, hits: list) -> tuple[float, float]:
        relevance = assess(question, hits, encode, retrieval.reranker)
        return relevance.score, relevance.coverage

    per_file: dict[str, list[dict]] = {}
    for path in args.questions:
        questions = [q for q in read_questions(path, args.limit) if q.gold_ids]
        records = []
        for start in tqdm(range(0, len(questions), BATCH), desc=Path(path).name,
                          file=sys.stderr):
            batch = questions[start : start + BATCH]
            for q, hits in zip(batch, retriever.search_many([q.question for q in batch], FETCH),
                               strict=True):
                records.append(score_pair(q, hits, titles, retrieval.top_k, distinct_documents,
                                          score))
        per_file[path] = records
    report = summarise(per_file, {"reranker": retrieval.reranker, "k": retrieval.top_k},
                       tuple(args.threshold) if args.threshold else None)
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps({**report, "records": per_file}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

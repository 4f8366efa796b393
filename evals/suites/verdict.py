"""Verdicts as answers state them: is a plain "Yes, according to [1]." right, and how often?

For each yes/no question of a file (any file whose records have `decision`: yes / no / maybe)
the assistant's own pipeline runs up to the verdict: retrieval, then the verdict reader on the
top source (with `--gold-context`, on the gold document instead, to isolate reading from
retrieval). Reported: the share of questions given a plain verdict and how often it is right
("sure"), the same for every yes/no including leans ("Probably yes"), the three-way accuracy and
macro-F1 of the most likely label (unclear = maybe, what `choose` returns) and the majority
class, with a 95% Wilson interval for each precision.

    python -m evals.suites.verdict --questions FILE [--limit N] [--gold-context] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from evals import metrics as m
from evals.formats import DECISIONS, read_questions


def wilson_low(successes: int, n: int, z: float = 1.96) -> float:
    """Lower end of the 95% Wilson score interval of a proportion."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def _stated(records: Sequence[dict], keep) -> dict[str, float]:
    stated = [r for r in records if keep(r)]
    right = sum(r["label"] == r["gold"] for r in stated)
    return {"coverage": len(stated) / len(records) if records else 0.0,
            "precision": right / len(stated) if stated else float("nan"),
            "precision_low95": wilson_low(right, len(stated))}


def figures(records: Sequence[dict]) -> dict[str, object]:
    """`records`: {"gold", "label" (yes/no/maybe), "sure"} per question."""
    gold = [r["gold"] for r in records]
    said = [r["label"] for r in records]
    majority = m.majority_label(gold) if gold else ""
    return {
        "n": len(records),
        "sure": _stated(records, lambda r: r["sure"]),
        "yes_or_no": _stated(records, lambda r: r["label"] != "maybe"),
        "accuracy": m.accuracy(gold, said),
        "macro_f1": m.macro_f1(gold, said, DECISIONS),
        "majority_label": majority,
        "majority_accuracy": m.accuracy(gold, [majority] * len(gold)),
        "majority_macro_f1": m.macro_f1(gold, [majority] * len(gold), DECISIONS),
        "said": {label: said.count(label) for label in DECISIONS},
    }


def main(argv: list[str] | None = None) -> int:
    from assistant.assistant import Assistant
    from assistant.settings import load_settings
    from assistant.verdict import as_label, decide

    p = argparse.ArgumentParser(prog="python -m evals.suites.verdict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", required=True, help="JSONL with question, decision, gold ids")
    p.add_argument("--limit", type=int)
    p.add_argument("--gold-context", action="store_true",
                   help="read the gold document, not the top retrieved one")
    p.add_argument("--index-name", help="the index to retrieve from (default: settings')")
    p.add_argument("--out", help="per-question records and figures (JSON)")
    args = p.parse_args(argv)
    questions = [q for q in read_questions(args.questions, args.limit) if q.decision]
    if not questions:
        raise SystemExit(f"{args.questions}: no question with a yes/no/maybe decision")
    settings = load_settings(None, overrides={"index_name": args.index_name} if args.index_name
                             else None)
    assistant = Assistant.from_settings(settings)
    if assistant.reader is None:
        raise SystemExit("verdict_reader is off (\"\"): there is no verdict to measure")
    records = []
    for q in tqdm(questions, desc="reading verdicts", file=sys.stderr):
        if args.gold_context:
            passages = next((d for d in map(assistant.retriever.document, q.gold_ids) if d), [])
        else:
            passages = [h.passage for h in assistant.sources(q.question)]
        reading = assistant.read_yes_no(q.question, passages)
        if reading is None:
            continue
        verdict = decide(reading.probabilities)
        records.append({
            "id": q.id, "gold": q.decision, "label": as_label(verdict),
            "sure": reading.label is not None,  # stated plainly, at the reader's threshold
            "probabilities": reading.probabilities,
            "source": passages[0].citation_id if passages else None,
            "gold_is_source": bool(passages) and passages[0].citation_id in q.gold_ids,
        })
    report = {"questions": args.questions, "gold_context": args.gold_context,
              "threshold": assistant.reader.yes_no_threshold, **figures(records),
              "gold_is_source": m.mean([float(r["gold_is_source"]) for r in records])}
    print(json.dumps(report, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps({**report, "records": records}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Verdict rule: is a stated yes/no right more often than always answering the majority class?

For each PubMedQA question the assistant's own pipeline runs up to the decision (retrieval, one
passage per document, option scores of " yes", " no", " maybe"). The rule `assistant.verdict`
states "yes" when log P(yes) - log P(no) - bias > margin, "no" below -margin, else "unclear".
Bias and margin are chosen on the even-numbered questions: the widest coverage (share of
questions given a yes/no) whose stated verdicts are right at least `LIFT` more often than the
majority class is; figures are reported on the odd-numbered ones. The rule is shipped only when
the chosen rule's precision on the even half is also clearly above the majority class (the lower
end of its 95% Wilson interval above the majority accuracy): otherwise the assistant must always
say "unclear" (`ship` in the report).

    python -m evals.suites.verdict [--questions FILE] [--limit N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from evals import metrics as m
from evals.formats import read_questions

LIFT = 0.10  # stated verdicts must beat the majority-class accuracy by this much
MIN_COVERAGE = 0.05  # a rule that answers almost nothing is not chosen on noise
PUBMEDQA = Path(__file__).resolve().parents[1] / "data" / "pubmedqa" / "questions_trainval.jsonl"


def decide(lean: float, margin: float) -> str:
    return "yes" if lean > margin else "no" if lean < -margin else "unclear"


def figures(records: Sequence[dict], bias: float, margin: float) -> dict[str, float]:
    """Coverage, precision of stated verdicts, and 3-way accuracy ("unclear" = "maybe")."""
    gold = [r["gold"] for r in records]
    said = [decide(r["yes"] - r["no"] - bias, margin) for r in records]
    stated = [(g, s) for g, s in zip(gold, said, strict=True) if s != "unclear"]
    majority = m.majority_label(gold)
    return {
        "bias": bias, "margin": margin, "n": len(records),
        "coverage": len(stated) / len(records) if records else float("nan"),
        "stated_precision": m.mean([float(g == s) for g, s in stated]) if stated else float("nan"),
        "accuracy_3way": m.accuracy(gold, ["maybe" if s == "unclear" else s for s in said]),
        "majority_label": majority,
        "majority_accuracy": m.accuracy(gold, [majority] * len(gold)),
        "said_yes": said.count("yes"), "said_no": said.count("no"),
    }


def choose_rule(records: Sequence[dict]) -> tuple[float, float]:
    """(bias, margin) with the widest coverage whose precision clears majority + LIFT; margin
    infinite (always "unclear") when none does."""
    leans = np.array([r["yes"] - r["no"] for r in records])
    bar = figures(records, 0.0, math.inf)["majority_accuracy"] + LIFT
    best, best_coverage = (0.0, math.inf), 0.0
    for bias in np.quantile(leans, np.linspace(0.05, 0.95, 37)):
        for margin in np.linspace(0.0, 4.0, 41):
            f = figures(records, float(bias), float(margin))
            if f["coverage"] >= max(MIN_COVERAGE, best_coverage + 1e-9) \
                    and f["stated_precision"] >= bar:
                best, best_coverage = (float(bias), float(margin)), f["coverage"]
    return best


def wilson_low(successes: int, n: int, z: float = 1.96) -> float:
    """Lower end of the 95% Wilson score interval of a proportion."""
    if n == 0:
        return 0.0
    p = successes / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def clearly_better(f: dict) -> bool:
    """Stated verdicts right significantly more often than the majority class (Wilson 95%)."""
    stated = round(f["coverage"] * f["n"])
    if not stated:
        return False
    right = round(f["stated_precision"] * stated)
    return wilson_low(right, stated) > f["majority_accuracy"]


def main(argv: list[str] | None = None) -> int:
    from assistant.assistant import Assistant
    from assistant.settings import load_settings
    from assistant.verdict import OPTIONS

    p = argparse.ArgumentParser(prog="python -m evals.suites.verdict", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", default=str(PUBMEDQA))
    p.add_argument("--limit", type=int)
    p.add_argument("--out", help="per-question scores and figures (JSON); resumed if present")
    args = p.parse_args(argv)
    questions = [q for q in read_questions(args.questions, args.limit) if q.decision]
    done: dict[str, dict] = {}
    out = Path(args.out) if args.out else None
    if out and out.is_file():
        done = {r["id"]: r for r in json.loads(out.read_text()).get("records", [])}
    assistant = None
    records = []
    for q in tqdm(questions, desc="scoring", file=sys.stderr):
        if q.id not in done:
            assistant = assistant or Assistant.from_settings(load_settings(None))
            passages = [h.passage for h in assistant.sources(q.question)]
            scores = assistant.option_scores(q.question, OPTIONS, passages)
            done[q.id] = {"id": q.id, "gold": q.decision, **scores}
            if out and len(done) % 10 == 0:
                out.write_text(json.dumps({"records": list(done.values())}))
        records.append(done[q.id])
    dev, test = records[0::2], records[1::2]
    bias, margin = choose_rule(dev)
    chosen = figures(dev, bias, margin)
    ship = math.isfinite(margin) and clearly_better(chosen)
    report = {"rule": {"bias": bias, "margin": margin, "lift": LIFT, "ship": ship},
              "dev": chosen, "test": figures(test, bias, margin),
              "argmax_3way_test": m.accuracy(
                  [r["gold"] for r in test],
                  [max(OPTIONS, key=lambda o, r=r: r[o]) for r in test]),
              "yes_no_argmax_test": figures(test, 0.0, 0.0)}
    print(json.dumps(report, indent=2))
    if out:
        out.write_text(json.dumps({**report, "records": records}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

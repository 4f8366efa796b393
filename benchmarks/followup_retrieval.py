"""What rewriting follow-ups buys retrieval: recall@5 of MedQuAD follow-up questions.

    python benchmarks/followup_retrieval.py [--limit 600]    # needs the default index

A real follow-up is a MedQuAD development question whose topic (its `focus`) is replaced by "it",
asked after the first question on the same focus ("What is (are) Gout ?" then "What are the
treatments for it ?"). Each is searched three ways over the default (built-in) index: as asked,
rewritten by `standalone_question`, and as the original question (the ceiling).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "medquad" / "questions_dev.jsonl"


def follow_ups(path: Path, limit: int) -> list[tuple[str, str, str, set[str]]]:
    """(previous question, follow-up, original question, gold ids), first `limit` of them."""
    by_focus = defaultdict(list)
    with open(path) as fh:
        for line in fh:
            q = json.loads(line)
            by_focus[q["focus"]].append(q)
    cases = []
    for focus, asked in by_focus.items():
        for q in asked[1:]:
            if focus and focus.lower() in q["question"].lower():
                follow_up = re.sub(re.escape(focus), "it", q["question"], flags=re.IGNORECASE)
                cases.append((asked[0]["question"], follow_up, q["question"], set(q["gold_ids"])))
    return cases[:limit]


def main(argv: list[str] | None = None) -> None:
    from assistant.followup import standalone_question
    from assistant.settings import load_settings
    from retrieval.retriever import Retriever

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=600)
    parser.add_argument("--questions", type=Path, default=DATA)
    args = parser.parse_args(argv)
    settings = load_settings()
    retriever = Retriever.load(settings.index_dir, settings.retrieval, settings.chunking,
                               model_cache=settings.model_cache)
    cases = follow_ups(args.questions, args.limit)
    hits = {"as asked": 0, "rewritten": 0, "original question": 0}
    for previous, follow_up, original, gold in cases:
        rewritten = standalone_question([(previous, "")], follow_up)
        for name, query in (("as asked", follow_up), ("rewritten", rewritten),
                            ("original question", original)):
            found = {h.passage.doc_id for h in retriever.search(query, k=5)}
            hits[name] += bool(found & gold)
    print(f"MedQuAD follow-ups: {len(cases)}, hybrid search, recall@5")
    for name, count in hits.items():
        print(f"  {name:18} {count / len(cases):.3f}")


if __name__ == "__main__":
    main()

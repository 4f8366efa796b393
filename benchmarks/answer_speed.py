"""Latency of one answer, stage by stage, warm, as `medchat ask` runs it on this machine.

    python benchmarks/answer_speed.py                         # 10 PubMedQA dev questions
    python benchmarks/answer_speed.py --limit 10 --questions evals/data/medquad/...jsonl

Stages, each timed per question after one untimed warm-up answer:

- retrieval: `Assistant.sources` (hybrid search, one passage per document, top k);
- gate: `Assistant.relevance` on those sources (similarity, reranker score, key-term coverage);
- verdict: `Assistant.verdict` (yes/no questions only: the top document's findings embedded and
  read by the verdict reader);
- first checked text: from the start of `Assistant.answer_stream` to the first text it yields
  (retrieval, gate, verdict, prompt reading and generation until a sentence passes the citation
  check; with an extractive fallback, the quotes after the whole draft was rejected);
- complete answer: from the same start to the final `Answer`.

Questions the gate refuses have no generation: their first-text time is left out of that row
and counted. Ratios are against retrieval's p50 in the same process, so a slower or busier
machine shifts all rows together.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PUBMEDQA = Path(__file__).resolve().parents[1] / "evals/data/pubmedqa/questions_trainval.jsonl"
STAGES = ("retrieval", "gate", "verdict", "first checked text", "complete answer")


def percentile(values: Sequence[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q)) if values else float("nan")


def time_question(assistant, question: str) -> dict:
    """Seconds per stage for one question, and how the answer was made."""
    from assistant.records import Answer
    from assistant.verdict import is_yes_no_question

    start = time.perf_counter()
    hits = assistant.sources(question)
    retrieved = time.perf_counter()
    assistant.relevance(question, hits)
    gated = time.perf_counter()
    verdict = None
    if is_yes_no_question(question):
        assistant.verdict(question, [h.passage for h in hits])
        verdict = time.perf_counter() - gated
    first = None
    final = None
    start_answer = time.perf_counter()
    for item in assistant.answer_stream(question):
        if isinstance(item, Answer):
            final = item
        elif first is None:
            first = time.perf_counter() - start_answer
    complete = time.perf_counter() - start_answer
    return {"retrieval": retrieved - start, "gate": gated - retrieved, "verdict": verdict,
            "first checked text": first, "complete answer": complete,
            "abstained": final.abstained, "extractive": final.extractive}


def table(records: Sequence[dict]) -> str:
    base = percentile([r["retrieval"] for r in records], 50)
    lines = ["| stage | n | p50 (s) | p95 (s) | p50 / retrieval p50 |", "|---|---|---|---|---|"]
    for stage in STAGES:
        values = [r[stage] for r in records if r[stage] is not None]
        p50 = percentile(values, 50)
        lines.append(f"| {stage} | {len(values)} | {p50:.3f} | {percentile(values, 95):.3f} | "
                     f"{p50 / base:.2f}x |")
    made = (f"answers: {len(records)}; abstained {sum(r['abstained'] for r in records)}, "
            f"extractive {sum(r['extractive'] for r in records)}, generated "
            f"{sum(not r['abstained'] and not r['extractive'] for r in records)}")
    return "\n".join(lines) + "\n\n" + made


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=PUBMEDQA)
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--config", type=Path, help="medchat settings file")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from assistant.assistant import Assistant
    from assistant.settings import load_settings
    from evals.formats import read_questions

    settings = load_settings(args.config)
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    questions = [q.question for q in read_questions(args.questions, args.limit + 1)]
    assistant = Assistant.from_settings(settings)
    assistant.answer(questions[0])  # warm: lazy loading, allocations, caches
    records = [time_question(assistant, q) for q in questions[1:]]
    print(f"generator {settings.generator.model} ({settings.generator.backend}), threads "
          f"{settings.threads or 'default'}, reranker {settings.retrieval.reranker or 'none'}")
    print(table(records))


if __name__ == "__main__":
    main()

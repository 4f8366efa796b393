"""Speed suite: how fast medchat indexes, retrieves and answers on this machine.

Index throughput is measured on a small sample of the built-in corpus in a scratch folder (the
embedder is loaded before the clock starts); latencies are per single call, as a user sees them.
"""

from __future__ import annotations

import itertools
import shutil
import time
from collections.abc import Sequence
from pathlib import Path

from evals import metrics as m
from evals.context import RunContext
from evals.formats import Question

DEFAULT_QUESTIONS = 5  # end-to-end answers: each generates a full answer on CPU
SAMPLE_DOCS = 200
RETRIEVAL_REPEATS = 4  # each question searched this often, so p95 rests on more than 5 samples
PROMPT = "In one sentence, what is hypertension?"


def index_throughput(system, ctx: RunContext) -> dict[str, float]:
    from corpus import read_builtin
    from retrieval import build_index

    r = system.settings.retrieval
    embedder = system.embedder()
    docs = list(itertools.islice(read_builtin(sources=["pubmedqa"]), SAMPLE_DOCS))
    scratch = ctx.out / "speed-index"
    try:
        start = time.perf_counter()
        manifest = build_index(docs, scratch, r, system.settings.chunking, embedder=embedder,
                               progress=ctx.progress)
        seconds = time.perf_counter() - start
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {"index_documents": len(docs), "index_passages": manifest.passages,
            "index_s": seconds, "index_passages_per_s": manifest.passages / seconds,
            "embedder_device": embedder.device}


def retrieval_latency(searcher, questions: Sequence[Question]) -> list[float]:
    searcher.search_many([questions[0].question])  # warm-up: first call loads lazily
    samples = []
    for _ in range(RETRIEVAL_REPEATS):
        for q in questions:
            start = time.perf_counter()
            searcher.search_many([q.question])
            samples.append(time.perf_counter() - start)
    return samples


def count_tokens(generator, text: str) -> int:
    """Tokens of generated text by the generator's own tokenizer (a streamed piece is a word or
    more, not a token); pieces are counted when there is no tokenizer."""
    tokenizer = getattr(generator, "tokenizer", None)
    if tokenizer is None:
        return len(text.split())
    return len(tokenizer(text, add_special_tokens=False)["input_ids"])


def generation_speed(generator) -> dict[str, float]:
    """Time to first streamed text (prompt processing included) and decoding rate after it."""
    start = time.perf_counter()
    first = None
    pieces = []
    for piece in generator.stream(PROMPT):
        pieces.append(piece)
        if first is None:
            first = time.perf_counter() - start
    total = time.perf_counter() - start
    tokens = count_tokens(generator, "".join(pieces))
    rate = tokens / (total - first) if first is not None and total > first else float("nan")
    return {"time_to_first_token_s": first if first is not None else float("nan"),
            "tokens_per_s": rate, "generated_tokens": tokens, "generation_s": total}


def answer_latency(assistant, questions: Sequence[Question]) -> list[float]:
    samples = []
    for q in questions:
        start = time.perf_counter()
        assistant.answer(q.question)
        samples.append(time.perf_counter() - start)
    return samples


def run(system, questions: Sequence[Question], index_dir: Path, ctx: RunContext) -> dict:
    """The `speed` section of results.json (raw samples kept for the histogram)."""
    section: dict[str, object] = dict(index_throughput(system, ctx))
    searcher = system.retriever(index_dir)
    retrieval_s = retrieval_latency(searcher, questions)
    section["retrieval_p50_ms"] = m.percentile(retrieval_s, 50) * 1000
    section["retrieval_p95_ms"] = m.percentile(retrieval_s, 95) * 1000
    assistant = system.assistant(index_dir)
    section.update(generation_speed(assistant.generator))
    answer_s = answer_latency(assistant, questions)
    section["answer_p50_s"] = m.percentile(answer_s, 50)
    section["answer_p95_s"] = m.percentile(answer_s, 95)
    section["generator_device"] = str(getattr(assistant.generator, "device", "unknown"))
    section["samples"] = {"retrieval": retrieval_s, "answer": answer_s}
    section["mode"] = system.mode
    return section

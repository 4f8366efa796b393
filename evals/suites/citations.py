"""Citations suite: generate full answers and check what their `[n]` citations point at.

Precision: of the sentences that carry a citation, the share the cited passages support
(`evals.support`). Validity: of the citation markers, the share naming a passage the answer was
given. Abstention: the share of questions the assistant declined to answer.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from tqdm import tqdm

from evals import metrics as m
from evals.context import RunContext
from evals.formats import Question
from evals.ports import Answerer
from evals.support import cited_sentences, is_supported

DEFAULT_LIMIT = 20  # generation runs at a few tokens/s on CPU


def check_answer(answer) -> dict:
    """Per-answer record: each cited sentence with its support, each marker with its validity."""
    given = {p.citation_id for p in answer.passages}
    by_number = {c.number: c for c in answer.citations}
    sentences, markers = [], []
    for sentence in cited_sentences(answer.text):
        cited = [by_number[n] for n in sentence.numbers if n in by_number]
        texts = [c.passage.text for c in cited if c.passage is not None]
        sentences.append({"text": sentence.text, "numbers": list(sentence.numbers),
                          "supported": is_supported(sentence.text, texts)})
        for n in sentence.numbers:
            # a marker with no citation behind it is invalid: it points at nothing
            markers.append(by_number[n].citation_id if n in by_number else None)
    return {
        "abstained": bool(answer.abstained),
        "sentences": sentences,
        "cited_ids": markers,
        "valid": [cid is not None and cid in given for cid in markers],
        "given_ids": sorted(given),
        "dropped": len(getattr(answer, "dropped", ()) or ()),
        "text": answer.text,
    }


def run(questions: Sequence[Question], answerer: Answerer, ctx: RunContext) -> dict[str, object]:
    """The `citations` section of results.json."""
    log = ctx.item_log("citations")
    records = []
    for q in tqdm(questions, desc="answering", disable=not ctx.progress):
        if q.id not in log:
            start = time.perf_counter()
            answer = answerer.answer(q.question)
            log.add(q.id, {**check_answer(answer), "seconds": time.perf_counter() - start})
        records.append(log.get(q.id))
    answered = [r for r in records if not r["abstained"]]
    supported = [s["supported"] for r in answered for s in r["sentences"]]
    valid = [v for r in answered for v in r["valid"]]
    return {
        "n": len(records),
        "citation_precision": m.citation_precision(supported),
        "citation_validity": m.mean([float(v) for v in valid]),
        "abstention_rate": m.abstention_rate([r["abstained"] for r in records]),
        "answers_with_citations": m.mean([float(bool(r["sentences"])) for r in answered]),
        "cited_sentences": len(supported),
        "dropped_sentences": sum(r.get("dropped", 0) for r in records),
        "citation_markers": len(valid),
        "ci": {
            "citation_precision": list(m.bootstrap_mean_ci([float(s) for s in supported],
                                                           ctx.seed)),
            "abstention_rate": list(m.bootstrap_mean_ci(
                [float(r["abstained"]) for r in records], ctx.seed)),
        },
        "answer_seconds_p50": m.percentile([r["seconds"] for r in records], 50),
    }

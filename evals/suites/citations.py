"""Citations suite: generate full answers and judge what their `[n]` citations point at.

The judge parses answers with the assistant's own parser (`assistant.citations`: sentences,
markers, content words, numbers, negation), so both read an answer the same way, but applies
its own rule, written here and in docs/evaluation.md, to what the user is shown:

- a cited sentence is *supported* when it has at least `MIN_WORDS` content words, at least
  `MIN_OVERLAP` of them (and at least `MIN_SHARED`) occur in the passages it cites together,
  every number and every abbreviation or code ("APC", "IL-6") in it occurs in those passages,
  and each of its clauses is negated exactly when the cited clause most like it is;
- an answer is *contradictory* when two of its cited sentences take opposite polarity on the
  same claim (the words of one contained in the other's);
- the verdict line a yes/no or trial effect answer opens with ("Yes, according to [1].",
  "Probably no, according to [2]; ...", "Significantly decreased, according to [1].") names the
  source the verdict was read from: it is not judged as a claim (the qa and verdict suites
  measure whether verdicts are right), but its marker counts for validity.

Precision: supported / cited sentences (also over the model's own sentences alone, without the
quotes of extractive answers). Validity: citation markers naming a passage the answer
was given / markers. Abstention and extractive rates: answers abstaining, answers quoting.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Sequence

from tqdm import tqdm

from assistant.citations import (
    cited_sentences,
    clauses,
    content_words,
    is_negated,
    names_in,
    numbers_in,
    source_sentences,
    source_tokens,
)
from evals import metrics as m
from evals.context import RunContext
from evals.formats import Question
from evals.ports import Answerer

DEFAULT_LIMIT = 20  # generation runs at a few tokens/s on CPU
MIN_WORDS = 3
VERDICT_LINE = re.compile(
    r"^(Probably )?(yes|no|significantly (increased|decreased)|no significant difference), "
    r"according to \[\d+\]", re.IGNORECASE)
MIN_SHARED = 2
MIN_OVERLAP = 0.5


def _closest_clause(words: set[str], sentences: Sequence[str]) -> str:
    scored = [(len(words & content_words(c)), c) for s in sentences for c in clauses(s)]
    shared, clause = max(scored, default=(0, ""), key=lambda pair: pair[0])
    return clause if shared else ""


def judge(sentence: str, cited_texts: Sequence[str]) -> dict:
    """The judge's verdict on one cited sentence against the passages it cites."""
    words = content_words(sentence)
    sentences = [s for text in cited_texts for s in source_sentences(text)]
    available = set().union(*(content_words(s) for s in sentences)) if sentences else set()
    shared = len(words & available)
    overlap = shared / len(words) if words else 0.0
    numbers_ok = numbers_in(sentence) <= set().union(*(numbers_in(s) for s in sentences)) \
        if sentences else not numbers_in(sentence)
    names_ok = names_in(sentence) <= source_tokens(" ".join(sentences))
    negation_ok = True
    for part in clauses(sentence):
        match = _closest_clause(content_words(part), sentences)
        if match and is_negated(part) != is_negated(match):
            negation_ok = False
    supported = (len(words) >= MIN_WORDS and shared >= MIN_SHARED and overlap >= MIN_OVERLAP
                 and numbers_ok and names_ok and negation_ok)
    return {"supported": supported, "overlap": overlap, "numbers_ok": numbers_ok,
            "names_ok": names_ok, "negation_ok": negation_ok}


def contradictory(sentences: Sequence[str]) -> bool:
    """Two sentences of opposite polarity on the same claim (one's words, cut to 6 letters so
    that "reduced" = "reduce", within the other's)."""
    polar = [(is_negated(s), {w[:6] for w in content_words(s)}) for s in sentences]
    return any(na != nb and wa and wb and (wa <= wb or wb <= wa)
               for i, (na, wa) in enumerate(polar) for nb, wb in polar[i + 1 :])


def check_answer(answer) -> dict:
    """Per-answer record: each cited sentence judged, each marker with its validity."""
    given = {p.citation_id for p in answer.passages}
    by_number = {c.number: c for c in answer.citations}
    sentences, markers = [], []
    cited = cited_sentences(answer.text)
    for sentence in cited:
        texts = [by_number[n].passage.text for n in sentence.numbers
                 if n in by_number and by_number[n].passage is not None]
        if not VERDICT_LINE.match(sentence.text):
            sentences.append({"text": sentence.text, "numbers": list(sentence.numbers),
                              **judge(sentence.text, texts)})
        for n in sentence.numbers:
            # a marker with no citation behind it is invalid: it points at nothing
            markers.append(by_number[n].citation_id if n in by_number else None)
    dropped = tuple(getattr(answer, "dropped", ()) or ())
    return {
        "abstained": bool(answer.abstained),
        "extractive": bool(getattr(answer, "extractive", False)),
        "verdict": getattr(answer, "verdict", None),
        "sentences": sentences,
        "contradictory": contradictory([s.text for s in cited
                                        if not VERDICT_LINE.match(s.text)]),
        "cited_ids": markers,
        "valid": [cid is not None and cid in given for cid in markers],
        "given_ids": sorted(given),
        "dropped": len(dropped),
        "dropped_reasons": [getattr(d, "reason", "unsupported") for d in dropped],
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
    judged = [s for r in answered for s in r["sentences"]]
    supported = [s["supported"] for s in judged]
    generated = [s["supported"] for r in answered if not r.get("extractive")
                 for s in r["sentences"]]
    valid = [v for r in answered for v in r["valid"]]
    reasons = Counter(reason.split(":")[0] for r in records
                      for reason in r.get("dropped_reasons", []))
    return {
        "n": len(records),
        "citation_precision": m.citation_precision(supported),
        # the model's own sentences only (quotes are the sources' words, supported by design)
        "citation_precision_generated": m.citation_precision(generated),
        "cited_sentences_generated": len(generated),
        "citation_validity": m.mean([float(v) for v in valid]),
        "abstention_rate": m.abstention_rate([r["abstained"] for r in records]),
        "extractive_rate": m.mean([float(r.get("extractive", False)) for r in records]),
        "answers_with_citations": m.mean([float(bool(r["sentences"])) for r in answered]),
        "contradictory_answers": sum(bool(r.get("contradictory")) for r in records),
        "numbers_ok": m.mean([float(s.get("numbers_ok", True)) for s in judged]),
        "names_ok": m.mean([float(s.get("names_ok", True)) for s in judged]),
        "negation_ok": m.mean([float(s.get("negation_ok", True)) for s in judged]),
        "verdicts": dict(Counter(str(r.get("verdict")) for r in records)),
        "cited_sentences": len(supported),
        "dropped_sentences": sum(r.get("dropped", 0) for r in records),
        "dropped_reasons": dict(reasons),
        "citation_markers": len(valid),
        "ci": {
            "citation_precision": list(m.bootstrap_mean_ci([float(s) for s in supported],
                                                           ctx.seed)),
            "abstention_rate": list(m.bootstrap_mean_ci(
                [float(r["abstained"]) for r in records], ctx.seed)),
        },
        "answer_seconds_p50": m.percentile([r["seconds"] for r in records], 50),
    }

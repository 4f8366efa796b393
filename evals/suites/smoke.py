"""Smoke suite: a few minutes on 2 CPU cores, headline metrics checked against evals/floors.toml.

- retrieval: the first 30 shipped MedQuAD questions against a small corpus holding every MedQuAD
  document on their topics (the hard distractors: same topic, other question type) plus 50
  other MedQuAD documents;
- qa: the first 5 PubMedQA questions, reading the gold abstract (`--gold-context`), so the
  reader is checked apart from retrieval (their abstracts and those of the next 15 questions are
  in the corpus);
- triage: all 15 shipped vignettes.

The corpus is written to the run folder from the built-in corpus files, byte for byte the same
every time, so its index is built once and then reused from the eval cache.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from evals import defaults

RETRIEVAL_QUESTIONS = 30
QA_QUESTIONS = 5  # each choice scores 3 options twice with the generator: ~1 min on 2 busy cores
PUBMEDQA_ABSTRACTS = 20  # gold abstracts of the first 20 PubMedQA questions, in the corpus
OTHER_DOCS = 50
SUITES = ("triage", "retrieval", "qa")  # fastest first


def _builtin(name: str) -> Path:
    from corpus.builtin import BUILTIN_DIR

    return BUILTIN_DIR / f"{name}.jsonl.gz"


def _first_questions(path: Path, n: int) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line, _ in zip(fh, range(n), strict=False)]


def write_corpus(target: Path) -> Path:
    """The smoke corpus: same-topic MedQuAD documents, other MedQuAD documents, gold abstracts."""
    topics = {q["focus"].lower() for q in _first_questions(defaults.MEDQUAD, RETRIEVAL_QUESTIONS)}
    pmids = {q["pmid"] for q in _first_questions(defaults.PUBMEDQA, PUBMEDQA_ABSTRACTS)}
    lines = []
    others = 0
    with gzip.open(_builtin("medquad"), "rt", encoding="utf-8") as fh:
        for line in fh:
            if json.loads(line)["title"].lower() in topics:
                lines.append(line)
            elif others < OTHER_DOCS:
                lines.append(line)
                others += 1
    with gzip.open(_builtin("pubmedqa"), "rt", encoding="utf-8") as fh:
        lines += [line for line in fh if json.loads(line)["pmid"] in pmids]
    target.write_text("".join(lines), encoding="utf-8")
    return target


def prepare(args: argparse.Namespace, out: Path) -> argparse.Namespace:
    """The smoke run's arguments: its corpus, question files, limits and suites."""
    corpus = write_corpus(out / "smoke-corpus.jsonl")
    return argparse.Namespace(**{
        **vars(args),
        "corpus": [corpus],
        "gold_context": True,
        "smoke_suites": SUITES,
        "suite_questions": {
            "retrieval": ([defaults.MEDQUAD], RETRIEVAL_QUESTIONS),
            "qa": ([defaults.PUBMEDQA], QA_QUESTIONS),
        },
        "vignettes": defaults.VIGNETTES,
    })

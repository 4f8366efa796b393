"""Does the indexed literature cover a question? A gate on the best retrieved sources.

Retrieval always returns something, even for a question no indexed document answers; quoting the
nearest passage then misleads (a vitamin C trial offered for a vitamin D question). Two signals,
both over the sources that would be shown, must clear their thresholds:

- similarity: the reranker's score when the configured reranker has a threshold measured for
  it, else the cosine between the question and the passage under the retrieval embedder;
- key-term coverage: the share of the question's key terms (content words other than question
  framing such as "prevent", "risk", "symptoms", and compounds like "vitamin d" or "type 2")
  found in one source. Similarity alone cannot tell "vitamin D and fractures" from "vitamin C
  and fractures": on development questions with their gold documents removed, adding coverage
  caught far more such questions at the same rate of wrongly refused answerable ones.

Below either threshold the assistant says the literature does not cover the question and lists
the closest sources, uncited. Thresholds were chosen on development questions against the same
questions with their gold topic removed from the candidates: `python -m evals.suites.abstention`
(docs/evaluation.md) reproduces the choice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.citations import content_words
from retrieval.hits import Hit

# Chosen on development data; see the module docstring and docs/evaluation.md.
DENSE_THRESHOLD = 0.55  # MiniLM cosine between question and best passage
MIN_COVERAGE = 0.6  # share of the question's key terms found in one source
# Scores of rerankers whose scale was measured the same way (other rerankers fall back to dense).
RERANK_THRESHOLDS: dict[str, float] = {}

# Words that frame a question rather than name its subject.
FRAMING = frozenset(
    """prevent reduce increase decrease effect effective efficacy affect risk treatment treat
    treated patient people use used useful associated association compared comparison versus
    randomized randomised trial trials symptom sign cause diagnose diagnosed diagnosis information
    many much way help difference outcome outcomes better worse good bad safe safety role
    influence impact improve improved change changes level levels factor factors""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Relevance:
    """How relevant the best sources are, by which score, against which thresholds."""

    score: float
    kind: str  # "dense" | "rerank"
    threshold: float
    coverage: float = 1.0
    min_coverage: float = MIN_COVERAGE

    @property
    def covered(self) -> bool:
        return self.score >= self.threshold and self.coverage >= self.min_coverage


def key_terms(question: str) -> set[str]:
    """The question's subject: content words minus framing, plus "word x" compounds where x is a
    single letter or a number ("vitamin d", "type 2")."""
    tokens = _TOKEN.findall(question.lower())
    compounds = {
        f"{before} {token}"
        for before, token in zip(tokens, tokens[1:], strict=False)
        if (len(token) == 1 or token.isdigit()) and before.isalpha() and len(before) > 2
    }
    words = {w for w in content_words(question) if len(w) > 2 and w not in FRAMING}
    return words | compounds


def coverage(terms: set[str], text: str) -> float:
    """Share of the terms found in a text (compounds as adjacent tokens, "vitamin d3" counts
    for "vitamin d")."""
    if not terms:
        return 1.0
    flat = " " + " ".join(_TOKEN.findall(text.lower()))
    words = content_words(text)
    found = sum((" " + t) in flat if " " in t else (t in words or (" " + t) in flat)
                for t in terms)
    return found / len(terms)


def dense_relevance(question_vector: np.ndarray, passage_vectors: np.ndarray) -> float:
    """The highest cosine between the question and a passage (vectors are normalised)."""
    if len(passage_vectors) == 0:
        return float("-inf")
    return float(np.max(passage_vectors @ question_vector))


def rerank_relevance(hits: Sequence[Hit]) -> float | None:
    """The best reranker score among the hits, None when they were not reranked."""
    scores = [h.scores["rerank"] for h in hits if "rerank" in h.scores]
    return max(scores) if scores else None


def assess(
    question: str,
    hits: Sequence[Hit],
    encode: Callable[[list[str]], np.ndarray],
    reranker: str = "",
    dense_threshold: float = DENSE_THRESHOLD,
    min_coverage: float = MIN_COVERAGE,
) -> Relevance:
    """Relevance of the best hits. Dense search already scored most hits (inner product of
    normalised vectors = cosine); the rest are embedded with `encode`, the retrieval embedder's."""
    terms = key_terms(question)
    best_coverage = max((coverage(terms, h.passage.text) for h in hits), default=0.0)
    threshold = RERANK_THRESHOLDS.get(reranker)
    if threshold is not None:
        score = rerank_relevance(hits)
        if score is not None:
            return Relevance(score, "rerank", threshold, best_coverage, min_coverage)
    known = [h.scores["dense"] for h in hits if "dense" in h.scores]
    missing = [h.passage.text for h in hits if "dense" not in h.scores]
    if missing:
        vectors = encode([question, *missing])
        known.append(dense_relevance(vectors[0], vectors[1:]))
    return Relevance(max(known, default=float("-inf")), "dense", dense_threshold,
                     best_coverage, min_coverage)

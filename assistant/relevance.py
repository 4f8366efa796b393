"""Does the indexed literature cover a question? A gate on the best retrieved sources.

Retrieval always returns something, even for a question no indexed document answers; quoting the
nearest passage then misleads (a vitamin C trial offered for a vitamin D question). Two signals
over the sources that would be shown go into one logistic model of "these sources answer it":

- dense: the highest cosine between the question and a source under the retrieval embedder;
- coverage: the share of the question's key terms (content words other than question framing
  such as "prevent", "risk", "symptoms", and compounds like "vitamin d" or "type 2") found in one
  source. It tells "vitamin D and fractures" from "vitamin C and fractures", which similarity
  alone cannot.

Below the model's threshold the assistant says the literature does not cover the question and
lists the closest sources, uncited. The earlier gate (cosine >= 0.55 and coverage >= 0.6, both
required) was tuned on questions written in their documents' own words; on expert questions
helpers wrote in other words it refused 47-68% of the answerable ones, because a paraphrase
shares few key terms. Weights and threshold are fitted on development questions of every kind,
asked with and without their gold topic in the index (`python -m evals.suites.abstention`;
README, "Measured here"), so that no kind of question is refused more than one time in ten.

The reranker's score is recorded (`signals`) but not used: a gate fitted with it caught more
near misses on development questions, and refused 25% of the answerable questions of a fresh
helper-written set (this gate: 8%).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.citations import content_words
from retrieval.hits import Hit

SIGNALS = ("dense", "rerank", "coverage")


@dataclass(frozen=True)
class GateModel:
    """P(the sources answer the question) = sigmoid(bias + weights . signals); abstain below
    `threshold`. Fitted by `evals.suites.abstention` for the default embedder (MiniLM cosines)."""

    signals: tuple[str, ...]
    weights: tuple[float, ...]
    bias: float
    threshold: float

    def __post_init__(self) -> None:
        if len(self.signals) != len(self.weights) or not set(self.signals) <= set(SIGNALS):
            raise ValueError(f"a gate needs one weight per signal, signals among {SIGNALS}")

    def probability(self, values: Mapping[str, float]) -> float:
        z = self.bias + sum(w * values[s] for s, w in zip(self.signals, self.weights, strict=True))
        return 1.0 / (1.0 + math.exp(-z))


# Fitted on the even halves of 200 PubMedQA, MedQuAD and Evidence Inference development questions
# and the 100 expert development questions (README "Measured here" reproduces it).
GATE = GateModel(("dense", "coverage"), (9.342, 4.755), -9.814, 0.13)


@dataclass(frozen=True)
class Relevance:
    """How likely the best sources answer the question, from which signals, against which
    threshold."""

    score: float  # the gate model's probability
    threshold: float
    signals: Mapping[str, float | None]

    @property
    def covered(self) -> bool:
        return self.score >= self.threshold


# Words that frame a question rather than name its subject.
FRAMING = frozenset(
    """prevent reduce increase decrease effect effective efficacy affect risk treatment treat
    treated patient people use used useful associated association compared comparison versus
    randomized randomised trial trials symptom sign cause diagnose diagnosed diagnosis information
    many much way help difference outcome outcomes better worse good bad safe safety role
    influence impact improve improved change changes level levels factor factors""".split()
)
_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


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


def signals(
    question: str, hits: Sequence[Hit], encode: Callable[[list[str]], np.ndarray]
) -> dict[str, float | None]:
    """The gate's signals over the hits shown. Dense search already scored most hits (inner
    product of normalised vectors = cosine); the rest are embedded with `encode`, the retrieval
    embedder's. "rerank" is None when the hits were not reranked."""
    terms = key_terms(question)
    known = [h.scores["dense"] for h in hits if "dense" in h.scores]
    missing = [h.passage.text for h in hits if "dense" not in h.scores]
    if missing:
        vectors = encode([question, *missing])
        known.append(dense_relevance(vectors[0], vectors[1:]))
    return {
        "dense": max(known, default=-1.0),
        "rerank": rerank_relevance(hits),
        "coverage": max((coverage(terms, h.passage.text) for h in hits), default=0.0),
    }


def assess(
    question: str,
    hits: Sequence[Hit],
    encode: Callable[[list[str]], np.ndarray],
    gate: GateModel = GATE,
) -> Relevance:
    """Relevance of the best hits under the fitted gate."""
    values = signals(question, hits, encode)
    score = gate.probability(values) if hits else 0.0
    return Relevance(score, gate.threshold, values)

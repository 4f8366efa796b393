"""Extractive evidence: the sentences of the retrieved passages that best match the question.

Used when the generator's own answer has nothing the sources support (small models often
answer from memory). Quoting the sources, each quote cited, gives the reader the evidence without
claiming more than it says; below a similarity floor the assistant abstains instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.records import Citation
from corpus.chunking import split_sentences
from corpus.records import Passage

MIN_SIMILARITY = 0.45  # cosine (MiniLM) between question and sentence
_LABEL = re.compile(r"^([A-Z][A-Z /&-]{1,40}):\s+")
# Findings over aims: conclusions state answers, methods and objectives do not.
_SECTION_BONUS = {
    "CONCLUSION": 0.1, "CONCLUSIONS": 0.1, "INTERPRETATION": 0.1,
    "RESULTS": 0.05, "FINDINGS": 0.05,
    "BACKGROUND": -0.1, "OBJECTIVE": -0.1, "OBJECTIVES": -0.1, "PURPOSE": -0.1,
    "AIM": -0.1, "AIMS": -0.1, "METHODS": -0.1, "INTRODUCTION": -0.1,
}
MAX_GAP = 0.1  # a further quote must score within this of the best one


def passage_sentences(passage: Passage) -> list[tuple[str, str]]:
    """(section label, sentence) pairs of a passage's body, without its title line."""
    lines = passage.text.split("\n")
    if passage.title and lines and lines[0] == passage.title:
        lines = lines[1:]
    out = []
    for line in lines:
        match = _LABEL.match(line)
        label = match.group(1) if match else ""
        body = line[match.end() :] if match else line
        out += [(label, s) for s in split_sentences(body) if len(s.split()) >= 5]
    return out


def key_sentences(
    question_vector: np.ndarray,
    passages: Sequence[Passage],
    encode,
    n: int = 2,
    min_similarity: float = MIN_SIMILARITY,
) -> list[tuple[int, str]]:
    """Up to n (source number, sentence), most similar first, at most one per source.

    `encode` maps a list of texts to normalised vectors (the retrieval embedder's encode).
    Conclusions and results get a small bonus, aims and methods a penalty.
    """
    candidates = [
        (number, label, sentence)
        for number, passage in enumerate(passages, 1)
        for label, sentence in passage_sentences(passage)
    ]
    if not candidates:
        return []
    similarity = encode([s for _, _, s in candidates]) @ question_vector
    score = similarity + np.array([_SECTION_BONUS.get(label, 0.0) for _, label, _ in candidates])
    chosen: list[tuple[int, str]] = []
    used: set[str] = set()
    best = None
    for i in np.argsort(-score):
        number, _, sentence = candidates[i]
        doc = passages[number - 1].doc_id
        if similarity[i] < min_similarity or doc in used:
            continue
        if best is None:
            best = score[i]
        elif score[i] < best - MAX_GAP:
            break
        used.add(doc)
        chosen.append((number, sentence))
        if len(chosen) == n:
            break
    return chosen


def quote(chosen: list[tuple[int, str]], passages: Sequence[Passage]) -> tuple[str, tuple]:
    """The quotes as answer text, and their citations."""
    text = "The retrieved abstracts report: " + " ".join(
        f"\u201c{sentence}\u201d [{number}]" for number, sentence in chosen
    )
    return text, tuple(Citation(number, passages[number - 1]) for number, _ in chosen)

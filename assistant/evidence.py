"""Extractive evidence: the findings of the retrieved sources that best match the question.

Used when the generator's own answer has nothing the sources support (small models often answer
from memory). Quoting the sources, each quote cited, gives the reader the evidence without
claiming more than it says. Only statements of findings are quoted: never a question heading
("How is X inherited?", MedQuAD's page structure), an aim or a methods sentence, list
boilerplate or instruction-like text; conclusions come first, then results, then unlabelled text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from assistant.citations import content_words
from assistant.prompt import instruction_like
from assistant.records import Citation, source_kind
from corpus.chunking import split_sentences
from corpus.records import Passage

MIN_SIMILARITY = 0.45  # cosine (MiniLM) between question and sentence
MIN_WORDS = 6
_LABEL = re.compile(r"^([A-Z][A-Z /&-]{1,40}):\s+")
# Lower tier first: conclusions state answers; aims and methods never do (and are not quoted).
_TIER = {
    "CONCLUSION": 0, "CONCLUSIONS": 0, "INTERPRETATION": 0, "IMPLICATIONS": 0,
    "RESULTS": 1, "FINDINGS": 1, "MAIN RESULTS": 1,
}
_NEVER = {
    "BACKGROUND", "OBJECTIVE", "OBJECTIVES", "PURPOSE", "AIM", "AIMS", "METHODS", "METHOD",
    "INTRODUCTION", "DESIGN", "SETTING", "SETTINGS", "PARTICIPANTS", "PATIENTS", "SUBJECTS",
    "MATERIALS AND METHODS", "STUDY DESIGN", "INTERVENTION", "INTERVENTIONS", "MEASUREMENTS",
    "MAIN OUTCOME MEASURES", "OUTCOME MEASURES", "CONTEXT", "HYPOTHESIS", "QUESTION",
    "PATIENTS AND METHODS", "SUBJECTS AND METHODS", "METHODS AND MATERIALS",
}
UNLABELLED_TIER = 2
KNOWN_LABELS = frozenset(_TIER) | _NEVER
_LONGEST_FIRST = tuple(sorted(KNOWN_LABELS, key=len, reverse=True))  # "PATIENTS AND METHODS" first
# A section label written into the text itself: "[Methods] Subjects were ..." (article bodies) or
# "CONCLUSIONS A 3-base pair deletion ..." (abstracts whose labels lost their colon).
_BRACKET_LABEL = re.compile(r"^\[([A-Za-z][A-Za-z /&-]{2,40})\]\s+")
_HEADING = re.compile(
    r"^(what|how|who|is|are|can|could|does|do|should|which|when|where|why)\b.{0,120}$", re.I
)
_AIM_OR_METHOD = re.compile(
    r"\b(we (aimed|sought|investigated|examined|evaluated|assessed|studied|hypothesi[sz]ed|"
    r"conducted|performed|analy[sz]ed|reviewed|enrolled|recruited|randomi[sz]ed)|"
    r"(aim|objective|purpose|goal)s? (of this|of the|was|were|is)|this study (aimed|sought|was "
    r"designed)|was (to|designed to) (determine|assess|evaluate|investigate|examine|compare)|"
    r"were randomi[sz]ed|were (enrolled|recruited|included)|(data|patients) were (collected|"
    r"obtained|analy[sz]ed)|^to (determine|assess|evaluate|investigate|examine|compare)|"
    r"(was|were) (retrospectively |prospectively )?(analy[sz]ed|reviewed|followed up)|"
    r"consecutive (series|patients|cases))\b",
    re.I,
)
_BOILERPLATE = re.compile(
    r"the following (list|tests|procedures)|table below|key points|see (also|the)|"
    r"provides the following|click here|^these resources",
    re.I,
)
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
        for sentence in split_sentences(body):
            own_label, sentence = inline_label(sentence)
            if len(sentence.split()) >= 5:
                out.append((own_label or label, sentence))
    return out


def inline_label(sentence: str) -> tuple[str, str]:
    """(label, the sentence without it) when the sentence opens with a known section label
    written into the text; ("", sentence) otherwise. Only known labels: "DNA Analysis showed"
    keeps its "DNA"."""
    match = _BRACKET_LABEL.match(sentence)
    if match and match.group(1).strip().upper() in KNOWN_LABELS:
        return match.group(1).strip().upper(), sentence[match.end():]
    for label in _LONGEST_FIRST:
        rest = sentence[len(label) + 1:]
        if sentence.startswith(label + " ") and rest[:1].isupper():
            return label, rest
    return "", sentence


def quotable(label: str, sentence: str) -> bool:
    """A statement of findings: not a heading, aim, method, list intro or instruction."""
    s = sentence.strip()
    return not (
        label in _NEVER
        or s.endswith(("?", ":"))
        or "?" in s
        or len(s.split()) < MIN_WORDS
        or (not label and _HEADING.match(s) and not s.endswith("."))
        or _AIM_OR_METHOD.search(s)
        or _BOILERPLATE.search(s)
        or instruction_like(s)
    )


def key_sentences(
    question_vector: np.ndarray,
    passages: Sequence[Passage],
    encode,
    n: int = 2,
    min_similarity: float = MIN_SIMILARITY,
) -> list[tuple[int, str]]:
    """Up to n (source number, sentence), best first, at most one per document.

    `encode` maps a list of texts to normalised vectors (the retrieval embedder's encode).
    Sentences similar enough to the question are ranked by section tier (conclusions, results,
    unlabelled), then by similarity; a further quote must be within MAX_GAP of the best one.
    """
    candidates = [
        (number, label, sentence)
        for number, passage in enumerate(passages, 1)
        for label, sentence in passage_sentences(passage)
        if quotable(label, sentence)
    ]
    if not candidates:
        return []
    similarity = encode([s for _, _, s in candidates]) @ question_vector
    tiers = [_TIER.get(label, UNLABELLED_TIER) for _, label, _ in candidates]
    order = sorted(range(len(candidates)), key=lambda i: (tiers[i], -similarity[i]))
    top = max(float(similarity[i]) for i in range(len(candidates)))
    chosen: list[tuple[int, str]] = []
    used: set[str] = set()
    for i in order:
        number, _, sentence = candidates[i]
        doc = passages[number - 1].doc_id
        if similarity[i] < min_similarity or similarity[i] < top - MAX_GAP or doc in used:
            continue
        used.add(doc)
        chosen.append((number, sentence))
        if len(chosen) == n:
            break
    return chosen


READ_WORDS = 120  # a verdict is read from a few sentences, not a whole abstract
CONCLUSION_BONUS = 0.1  # a conclusion states the answer; a results line only part of it
_STATISTIC = re.compile(
    r"\bp\s*[<=>\u2264]|\bCI\b|confidence interval|significan|odds ratio|hazard ratio|"
    r"\b(OR|RR|HR)\b", re.I)
SELECTOR_FEATURES = ("similarity", "question words", "statistic", "conclusions", "results",
                     "unlabelled", "position")


def finding_sentences(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """(label, sentence) of every quotable sentence of some passages, each once (a document's
    passages overlap), in reading order."""
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for passage in passages:
        for label, sentence in passage_sentences(passage):
            if sentence not in seen and quotable(label, sentence):
                seen.add(sentence)
                out.append((label, sentence))
    return out


def findings(
    question_vector: np.ndarray, passages: Sequence[Passage], encode, max_words: int = READ_WORDS
) -> list[str]:
    """The sentences of one document a yes/no verdict is read from, in reading order: its
    conclusions and results, those closest to the question first (conclusions favoured), within
    `max_words`. A document without section labels gives its quotable sentences."""
    sentences = finding_sentences(passages)
    candidates = [pair for pair in sentences if pair[0] in _TIER] or sentences
    if not candidates:
        return []
    similarity = encode([s for _, s in candidates]) @ question_vector
    score = [float(sim) + (CONCLUSION_BONUS if _TIER.get(label) == 0 else 0.0)
             for sim, (label, _) in zip(similarity, candidates, strict=True)]
    chosen: list[int] = []
    words = 0
    for i in sorted(range(len(candidates)), key=lambda i: -score[i]):
        length = len(candidates[i][1].split())
        if chosen and words + length > max_words:
            continue
        chosen.append(i)
        words += length
    return [candidates[i][1] for i in sorted(chosen)]


def sentence_features(
    question: str, question_vector: np.ndarray, sentences: Sequence[tuple[str, str]], encode
) -> np.ndarray:
    """One row per (label, sentence), in SELECTOR_FEATURES order."""
    if not sentences:
        return np.zeros((0, len(SELECTOR_FEATURES)))
    asked = content_words(question)
    similarity = encode([s for _, s in sentences]) @ question_vector
    last = max(1, len(sentences) - 1)
    rows = []
    for i, (label, sentence) in enumerate(sentences):
        tier = _TIER.get(label, UNLABELLED_TIER)
        rows.append([
            float(similarity[i]), len(asked & content_words(sentence)) / max(1, len(asked)),
            float(bool(_STATISTIC.search(sentence))), float(tier == 0), float(tier == 1),
            float(tier == UNLABELLED_TIER), i / last,
        ])
    return np.array(rows)


def rank_findings(
    question: str, question_vector: np.ndarray, passages: Sequence[Passage], encode,
    weights: np.ndarray,
) -> list[str]:
    """A document's findings, the one most likely to report the question's outcome first:
    `weights` (a linear selector over SELECTOR_FEATURES, then a bias) were fitted on the
    evidence sentences Evidence Inference marks."""
    sentences = finding_sentences(passages)
    if not sentences:
        return []
    score = sentence_features(question, question_vector, sentences, encode) @ weights[:-1]
    return [sentences[i][1] for i in np.argsort(-score, kind="stable")]


def lead_in(kinds: set[str]) -> str:
    """What the quotes are: abstracts report findings; consumer-health pages are not abstracts."""
    if kinds == {"abstract"}:
        return "The retrieved abstracts report:"
    if kinds == {"consumer-health page"}:
        return "The retrieved consumer-health pages say:"
    return "The retrieved sources (abstracts and consumer-health pages) say:"


def quote(chosen: list[tuple[int, str]], passages: Sequence[Passage]) -> tuple[str, tuple]:
    """The quotes as answer text, one cited line each, and their citations."""
    kinds = {source_kind(passages[number - 1]) for number, _ in chosen}
    text = lead_in(kinds) + "\n" + "\n".join(
        f"- \u201c{sentence}\u201d [{number}]" for number, sentence in chosen
    )
    citations = tuple(Citation(number, passages[number - 1], 1.0, True, True)
                      for number, _ in chosen)
    return text, citations

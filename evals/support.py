"""When does a cited passage support a sentence? A transparent lexical rule, not a judge model.

Rule (documented in docs/evaluation.md): take the sentence's content words (lower-cased words of
3+ letters or any number, minus stop words and citation markers, with a plural `s` dropped). The
sentence is *supported* when at least `MIN_OVERLAP` (half) of them occur in the passages it cites,
and at least `MIN_WORDS` of them do. It is cheap and deterministic; it catches citations that point
at an unrelated passage and sentences that invent content; it cannot judge paraphrase or
negation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

MIN_OVERLAP = 0.5
MIN_WORDS = 2

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"[a-z][a-z0-9\-]{2,}|\d+(?:\.\d+)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")
_STOP = """about above after again against all also although among and any are because been before
being below between both but can could did does doing down during each few for from further had has
have having her here hers him his how however into its itself may might more most much must not now
off once only other our out over own per same she should some such than that the their theirs them
then there these they this those through too under until upon very was were what when where which
while who whom why will with within without would you your yes"""
STOP_WORDS = frozenset(_STOP.split())


@dataclass(frozen=True)
class CitedSentence:
    """A sentence of an answer and the citation numbers it carries (e.g. `[1]`, `[2, 3]`)."""

    text: str
    numbers: tuple[int, ...]


def content_words(text: str) -> set[str]:
    words = _WORD.findall(_MARKER.sub(" ", text.lower()))
    return {_singular(w) for w in words if w not in STOP_WORDS}


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def is_supported(sentence: str, cited_texts: Iterable[str]) -> bool:
    """True when enough of the sentence's content words occur in the cited passages together."""
    wanted = content_words(sentence)
    if not wanted:
        return False
    available: set[str] = set()
    for text in cited_texts:
        available |= content_words(text)
    found = len(wanted & available)
    return found >= min(MIN_WORDS, len(wanted)) and found / len(wanted) >= MIN_OVERLAP


def cited_sentences(answer_text: str) -> list[CitedSentence]:
    """Sentences of an answer that carry at least one `[n]` marker, with their numbers."""
    result = []
    for sentence in _SENTENCE_END.split(answer_text.strip()):
        groups = [m.group(1) for m in _MARKER.finditer(sentence)]
        numbers = [int(n) for group in groups for n in re.split(r"[,;]", group)]
        if numbers:
            result.append(CitedSentence(sentence.strip(), tuple(dict.fromkeys(numbers))))
    return result

"""Keep only what the sources support: parse [n] citations, check them, attach or drop.

A sentence keeps the citations that point at a given source and share enough content words
with it; a sentence without a valid citation gets the source that best supports it, or is
dropped. An answer with nothing left abstains. This is a lexical check: it catches citations to
sources that do not exist and sentences with no footing in any source, not subtle misreadings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.records import ABSTAIN, Citation
from corpus.chunking import split_sentences
from corpus.records import Passage

MIN_SUPPORT = 0.5  # share of a sentence's content words found in the cited source

_CITE = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its itself
    just may me might more most must my no nor not now of off on once only or other our out over
    own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your""".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, with a light plural strip ("fractures" = "fracture")."""
    words = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOPWORDS:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        words.add(w)
    return words


def support(sentence: str, source: str) -> float:
    """Share of the sentence's content words that appear in the source (0..1)."""
    words = content_words(_CITE.sub(" ", sentence))
    if not words:
        return 0.0
    return len(words & content_words(source)) / len(words)


def cited_numbers(sentence: str) -> list[int]:
    return [int(n) for group in _CITE.findall(sentence) for n in re.split(r"[,;]\s*", group)]


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: tuple[Citation, ...]
    dropped: tuple[str, ...]
    abstained: bool


def is_abstention(text: str) -> bool:
    return "does not answer this" in text.lower() or not text.strip()


def ground(text: str, passages: Sequence[Passage], min_support: float = MIN_SUPPORT) -> Grounded:
    """Rewrite an answer so that every sentence carries citations to sources that support it."""
    if is_abstention(text) or not passages:
        return Grounded(ABSTAIN, (), (), True)
    kept: list[str] = []
    citations: list[Citation] = []
    dropped: list[str] = []
    for sentence in split_sentences(" ".join(text.split())):
        bare = _CITE.sub("", sentence).replace(" .", ".").strip()
        numbers = [
            n
            for n in dict.fromkeys(cited_numbers(sentence))
            if 1 <= n <= len(passages) and support(bare, passages[n - 1].text) >= min_support
        ]
        if not numbers:
            scores = [support(bare, p.text) for p in passages]
            best = max(range(len(passages)), key=lambda i: scores[i])
            if scores[best] < min_support:
                dropped.append(sentence)
                continue
            numbers = [best + 1]
        marks = "".join(f"[{n}]" for n in numbers)
        body = bare[:-1] if bare.endswith((".", "!", "?")) else bare
        end = bare[-1] if bare.endswith((".", "!", "?")) else "."
        kept.append(f"{body} {marks}{end}")
        citations += [Citation(n, passages[n - 1]) for n in numbers]
    if not kept:
        return Grounded(ABSTAIN, (), tuple(dropped), True)
    return Grounded(" ".join(kept), tuple(citations), tuple(dropped), False)

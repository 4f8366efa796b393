"""Cut documents into passages that fit the embedder's window without splitting sentences."""

from __future__ import annotations

import re

from pydantic import ConfigDict, Field
from pydantic.dataclasses import dataclass

from corpus.records import Document, Passage

# A sentence ends at . ! or ? followed by space and an upper-case letter, digit or bracket.
# Abbreviations such as "e.g. the" or "vs. placebo" are not split because a lower-case word follows.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


@dataclass(frozen=True, config=ConfigDict(extra="forbid", hide_input_in_errors=True))
class ChunkSettings:
    """Word budgets per passage (the `[chunking]` settings)."""

    max_words: int = Field(150, description="longest passage in words (at least 20): MiniLM "
                           "reads 256 word pieces, about 165 words of medical text")
    overlap_words: int = Field(30, description="words shared by consecutive passages, in "
                               "[0, max_words/2)")

    def __post_init__(self) -> None:
        if self.max_words < 20:
            raise ValueError(f"chunking max_words must be at least 20, got {self.max_words}")
        if not 0 <= self.overlap_words < self.max_words // 2:
            raise ValueError(
                f"chunking overlap_words must be in [0, max_words/2), got {self.overlap_words}"
            )


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def _units(doc: Document, max_words: int) -> list[tuple[str, str]]:
    """(section label, sentence) pairs; a sentence longer than the budget is cut by words."""
    units: list[tuple[str, str]] = []
    for section in doc.sections:
        for sentence in split_sentences(section.text):
            words = sentence.split()
            for start in range(0, len(words), max_words):
                units.append((section.label, " ".join(words[start : start + max_words])))
    return units


def _render(title: str, units: list[tuple[str, str]]) -> tuple[str, tuple[str, ...]]:
    parts: list[str] = []
    labels: list[str] = []
    current = None
    for label, sentence in units:
        if label != current:
            current = label
            if label:
                labels.append(label)
                parts.append(f"\n{label}: {sentence}" if parts else f"{label}: {sentence}")
                continue
        parts.append(sentence)
    body = " ".join(parts).replace(" \n", "\n")
    return (f"{title}\n{body}".strip() if title else body), tuple(labels)


def chunk_document(doc: Document, settings: ChunkSettings = ChunkSettings()) -> list[Passage]:
    """Whole document as one passage when short, else overlapping sentence-aligned windows."""
    title_words = len(doc.title.split())
    budget = max(settings.max_words - title_words, settings.max_words // 2)
    units = _units(doc, budget)
    if not units and not doc.title:
        return []
    windows: list[list[tuple[str, str]]] = []
    start = 0
    while start < len(units) or not windows:
        end, words = start, 0
        while end < len(units) and (words + len(units[end][1].split()) <= budget or end == start):
            words += len(units[end][1].split())
            end += 1
        windows.append(units[start:end])
        if end >= len(units):
            break
        # step back over whole sentences to overlap with the next window, never backwards
        back, overlap = end, 0
        while back - 1 > start:
            size = len(units[back - 1][1].split())
            if overlap + size > settings.overlap_words:
                break
            back -= 1
            overlap += size
        start = back
    passages = []
    for i, window in enumerate(windows):
        text, labels = _render(doc.title, window)
        passages.append(
            Passage(
                doc_id=doc.doc_id,
                chunk=i,
                text=text,
                title=doc.title,
                pmid=doc.pmid,
                year=doc.year,
                journal=doc.journal,
                publication_types=doc.publication_types,
                mesh=doc.mesh,
                sections=labels,
                link=doc.link,
                source=doc.source,
            )
        )
    return passages

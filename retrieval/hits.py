"""The result record of a search."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.records import Passage


@dataclass(frozen=True)
class Hit:
    """A retrieved passage, its final score and 1-based rank; `scores` keeps each stage's score."""

    passage: Passage
    score: float
    rank: int
    scores: dict[str, float] = field(default_factory=dict)

"""The shapes evals needs from retrieval and assistant, as Protocols.

Suites are written against these, so they run in tests with small fakes and never import the
packages under test; `evals.system` adapts the real ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class PassageLike(Protocol):
    doc_id: str
    pmid: str
    text: str

    @property
    def citation_id(self) -> str: ...


class HitLike(Protocol):
    passage: Any  # PassageLike
    score: float


class Searcher(Protocol):
    def search_many(
        self, queries: list[str], k: int | None = None, mode: str | None = None
    ) -> list[list[Any]]: ...


class Chooser(Protocol):
    def choose(self, question: str, options: Sequence[str], passages: Sequence[Any]) -> Any: ...


class Answerer(Protocol):
    def answer(self, question: str) -> Any: ...

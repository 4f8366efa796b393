"""Problems found while reading input: counted and reported, so one bad record is never fatal."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


class CorpusError(ValueError):
    """Input that cannot be read at all (missing, empty, not a known format): fatal, unlike a
    Problem, because carrying on would silently build an index from nothing."""


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class ReadReport:
    """What a reader read and what it skipped (with file and line, never record text)."""

    read: int = 0
    problems: list[Problem] = field(default_factory=list)
    # PMIDs that PubMed XML <DeleteCitation> elements withdrew, in input order; apply after dedup.
    deleted: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        log.warning("skipped record: %s", problem)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def summary(self, limit: int = 5) -> str:
        lines = [f"read {self.read} records, skipped {self.skipped}"]
        if self.deleted:
            lines[0] += f", {len(self.deleted)} deletions"
        lines += [f"  {p}" for p in self.problems[:limit]]
        if self.skipped > limit:
            lines.append(f"  ... and {self.skipped - limit} more")
        return "\n".join(lines)

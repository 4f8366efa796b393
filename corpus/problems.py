"""Problems found while reading input: counted and reported, so one bad record or file is never
fatal to the rest of the corpus."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from corpus.errors import CorpusError

__all__ = ["CorpusError", "Problem", "ReadReport"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    """What was skipped and where: a record (`file:line`) or the rest of a file from that line."""

    path: str
    line: int
    message: str
    kind: str = "record"  # "record" or "file"

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass
class ReadReport:
    """What a reader read and what it skipped (with file and line, never record text)."""

    read: int = 0
    problems: list[Problem] = field(default_factory=list)
    # PMIDs that PubMed XML <DeleteCitation> elements withdrew, in input order; apply after dedup.
    deleted: list[str] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)
        log.info("skipped %s: %s", "file" if problem.kind == "file" else "record", problem)

    @property
    def skipped(self) -> int:
        """Records skipped (a file skipped is counted apart, in `files_skipped`)."""
        return sum(p.kind == "record" for p in self.problems)

    @property
    def files_skipped(self) -> int:
        return sum(p.kind == "file" for p in self.problems)

    def summary(self, limit: int = 5) -> str:
        head = f"read {self.read} records, skipped {self.skipped}"
        if self.files_skipped:
            head += f" and {self.files_skipped} unreadable file(s) (or their ends)"
        if self.deleted:
            head += f", {len(self.deleted)} deletions"
        files = [p for p in self.problems if p.kind == "file"]
        records = [p for p in self.problems if p.kind == "record"]
        lines = [head] + [f"  {p}" for p in files[:limit]]
        if len(files) > limit:
            lines.append(f"  ... and {len(files) - limit} more files")
        lines += [f"  {p}" for p in records[:limit]]
        if len(records) > limit:
            lines.append(f"  ... and {len(records) - limit} more records")
        return "\n".join(lines)

"""The settings every suite shares for one run: where to write, how much to do, which seed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evals.itemlog import ItemLog


@dataclass(frozen=True)
class RunContext:
    out: Path
    seed: int = 0
    limit: int | None = None
    resume: bool = False
    progress: bool = True

    def item_log(self, name: str) -> ItemLog:
        """The per-item JSONL of one suite (`items-<name>.jsonl` in the run folder)."""
        return ItemLog(self.out / f"items-{name}.jsonl", resume=self.resume)

"""Per-item results appended to a JSONL file as they are produced, so a run can resume.

A crash or Ctrl-C loses at most the item in flight; `--resume` reads the file back and skips
every item already there. Lines are flushed one by one; a torn last line is ignored on reading.
"""

from __future__ import annotations

import json
from pathlib import Path


class ItemLog:
    """Append-only store of `{"key": item id, ...}` records for one suite (or sub-task)."""

    def __init__(self, path: Path, resume: bool) -> None:
        self.path = path
        self.done: dict[str, dict] = _read(path) if resume else {}
        if not resume and path.exists():
            path.unlink()
        if resume and path.exists() and not path.read_bytes().endswith(b"\n"):
            with open(path, "a", encoding="utf-8") as fh:
                fh.write("\n")  # end a torn line so the next record starts on its own

    def __contains__(self, key: str) -> bool:
        return key in self.done

    def add(self, key: str, record: dict) -> None:
        record = {"key": key, **record}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.done[key] = record

    def get(self, key: str) -> dict:
        return self.done[key]


def _read(path: Path) -> dict[str, dict]:
    records: dict[str, dict] = {}
    if not path.exists():
        return records
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line torn by an interrupted write: the item is simply redone
            if isinstance(record, dict) and "key" in record:
                records[str(record["key"])] = record
    return records

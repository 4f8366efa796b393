"""Read corpus records from JSONL (plain or .gz) shaped like PubMedQA's `abstracts.jsonl`.

One JSON object per line: `pmid` and/or `doc_id`, `title`, `year`, `sections` (a list of
`{"label", "text"}`, or a plain `abstract` string), and optionally `mesh`, `journal`,
`publication_types`, `url`, `version`. A bad line is reported and skipped, never fatal.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from corpus.problems import Problem, ReadReport
from corpus.records import Document, Section

GZIP_MAGIC = b"\x1f\x8b"


def open_binary(path: Path) -> IO[bytes]:
    """Open plain or gzip bytes by magic bytes, for parsers (XML) that decode text themselves."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(path, "rb")
    return open(path, "rb")


def open_text(path: Path) -> IO[str]:
    """Open plain or gzip text transparently (by magic bytes, not by name)."""
    with open(path, "rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def _year(value: object) -> int | None:
    text = str(value or "").strip()[:4]
    return int(text) if text.isdigit() else None


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    raise ValueError(f"expected a list of strings, got {type(value).__name__}")


def document_from_record(record: dict, source: str = "") -> Document:
    """Build a Document from one JSON object; raises ValueError saying what is wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    pmid = str(record.get("pmid") or "").strip()
    doc_id = str(record.get("doc_id") or "").strip() or pmid
    if not doc_id:
        raise ValueError("record has neither 'pmid' nor 'doc_id'")
    if pmid and not pmid.isdigit():
        raise ValueError(f"'pmid' must be digits, got {pmid!r}")
    raw_sections = record.get("sections")
    if raw_sections is None and record.get("abstract"):
        raw_sections = [{"label": "", "text": record["abstract"]}]
    if raw_sections is None:
        raw_sections = []
    if not isinstance(raw_sections, list):
        raise ValueError("'sections' must be a list of {label, text} objects")
    sections = []
    for s in raw_sections:
        if not isinstance(s, dict) or not isinstance(s.get("text", ""), str):
            raise ValueError("each section must be an object with a string 'text'")
        text = " ".join(s.get("text", "").split())
        if text:
            sections.append(Section(label=str(s.get("label") or "").strip().upper(), text=text))
    title = " ".join(str(record.get("title") or "").split())
    if not title and not sections:
        raise ValueError("record has no title and no text")
    return Document(
        doc_id=doc_id,
        title=title,
        sections=tuple(sections),
        pmid=pmid,
        year=_year(record.get("year")),
        journal=str(record.get("journal") or "").strip(),
        publication_types=_strings(record.get("publication_types")),
        mesh=_strings(record.get("mesh")),
        version=int(record.get("version") or 1),
        source=str(record.get("source") or source),
        url=str(record.get("url") or ""),
    )


def read_jsonl(
    path: str | Path, report: ReadReport | None = None, source: str = ""
) -> Iterator[Document]:
    path = Path(path)
    report = report if report is not None else ReadReport()
    with open_text(path) as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                doc = document_from_record(json.loads(line), source=source)
            except (json.JSONDecodeError, ValueError, TypeError) as exc:
                report.add(Problem(str(path), lineno, str(exc)))
                continue
            report.read += 1
            yield doc

"""Read corpus records from JSONL (plain or .gz) shaped like PubMedQA's `abstracts.jsonl`.

One JSON object per line: `pmid` and/or `doc_id`, `title`, `year`, `sections` (a list of
`{"label", "text"}`, or a plain `abstract` string), and optionally `mesh`, `journal`,
`publication_types`, `url`, `version`. A bad line (malformed, not UTF-8, nested too deeply,
over the record-size limit) is reported with its line and skipped; a file that ends early (a
truncated or corrupt gzip) raises CorpusError after the records before it were yielded.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from corpus.errors import CorpusError
from corpus.limits import DEFAULT_LIMITS, ReaderSettings
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


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")

# What a damaged file raises mid-read: truncated gzip (EOFError), bad gzip header or CRC
# (gzip.BadGzipFile, an OSError), corrupt deflate data (zlib.error).
READ_ERRORS = (EOFError, OSError, zlib.error)


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit also accepts superscripts that int() refuses."""
    return text.isascii() and text.isdigit()


def _version(value: object) -> int:
    if value is None or value == "":
        return 1
    text = str(value).strip()
    if isinstance(value, bool) or not is_number(text) or len(text) > 9 or int(text) < 1:
        raise ValueError(f"'version' must be a whole number from 1, got {text[:30]!r}")
    return int(text)


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
    if pmid and not is_number(pmid):
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
        version=_version(record.get("version")),
        source=str(record.get("source") or source),
        url=str(record.get("url") or ""),
    )


def _problem(exc: Exception) -> str:
    """What is wrong with one line, in words (never the line's text)."""
    if isinstance(exc, json.JSONDecodeError):
        return f"malformed JSON ({exc.msg} at column {exc.colno})"
    if isinstance(exc, UnicodeDecodeError):
        return (f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1}); "
                "save the file as UTF-8")
    if isinstance(exc, RecursionError):
        return "JSON nested too deeply to read"
    if isinstance(exc, OverflowError):
        return f"a number is too large ({exc})"
    return str(exc)


def _lines(fh: IO[bytes], max_bytes: int) -> Iterator[tuple[bytes | None, int]]:
    """Each line's bytes and size; None for a line over `max_bytes`, whose rest is skipped unread
    (memory stays bounded however long the line)."""
    while True:
        line = fh.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line, len(line)
            continue
        size = len(line)
        while not line.endswith(b"\n"):
            line = fh.readline(1 << 20)
            if not line:
                break
            size += len(line)
        yield None, size


def _record(raw: bytes | None, size: int, limits: ReaderSettings, source: str) -> Document | None:
    """One line to a Document (None for a blank line); raises with what is wrong."""
    if raw is None:
        raise ValueError(f"record is {size:,} bytes, over the limit of "
                         f"{limits.max_record_chars:,} characters (reading.max_record_chars)")
    text = raw.decode("utf-8").lstrip("\ufeff")
    if not text.strip():
        return None
    if len(text) > limits.max_record_chars:
        raise ValueError(f"record is {len(text):,} characters, over the limit of "
                         f"{limits.max_record_chars:,} (reading.max_record_chars)")
    record = json.loads(text)
    if _SURROGATE_ESCAPE.search(text):
        record = _repair(record)
    return document_from_record(record, source=source)


def _repair(value: object) -> object:
    """Replace lone surrogates (JSON can escape half a character, "\\ud800") with U+FFFD: they are
    not text, and SQLite and the tokenizers refuse them."""
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_repair(v) for v in value]
    if isinstance(value, dict):
        return {_repair(k): _repair(v) for k, v in value.items()}
    return value


def read_jsonl(
    path: str | Path,
    report: ReadReport | None = None,
    source: str = "",
    limits: ReaderSettings = DEFAULT_LIMITS,
) -> Iterator[Document]:
    """Documents of one JSONL file; bad lines go to `report` with their line number."""
    path = Path(path)
    report = report if report is not None else ReadReport()
    lineno = 0
    try:
        with open_binary(path) as fh:
            # UTF-8 takes at most 4 bytes a character: a longer line is over the limit unread
            for raw, size in _lines(fh, 4 * limits.max_record_chars):
                lineno += 1
                try:
                    doc = _record(raw, size, limits, source)
                except (ValueError, TypeError, OverflowError, RecursionError) as exc:
                    report.add(Problem(str(path), lineno, _problem(exc)))
                    continue
                if doc is not None:
                    report.read += 1
                    yield doc
    except READ_ERRORS as exc:
        raise CorpusError(
            f"{path}:{lineno + 1}: the file ends early or is corrupt ({type(exc).__name__}: "
            f"{exc or 'no detail'}); the {lineno} lines before it were read. Re-download or "
            "re-compress the file."
        ) from None

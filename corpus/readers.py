"""One entry point for corpus input: files or directories of JSONL and PubMed XML, plain or gzip.

The format is decided by content (the first non-blank byte: `{` JSON lines, `<` XML), because
downloaded files are often renamed or carry no useful extension. A path that does not exist fails
at once; a file that cannot be read (empty, unknown format, truncated, corrupt, hostile XML) is
reported in the ReadReport with its line and skipped, so the rest of the corpus still builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from corpus.errors import CorpusError
from corpus.jsonl import READ_ERRORS, open_binary, read_jsonl
from corpus.limits import DEFAULT_LIMITS, ReaderSettings
from corpus.problems import Problem, ReadReport
from corpus.pubmed_xml import read_pubmed_xml
from corpus.records import Document

CORPUS_PATTERNS = ("*.jsonl", "*.jsonl.gz", "*.xml", "*.xml.gz")
ACCEPTED = (
    "accepted: JSON lines (one corpus record per line, first character '{') or PubMed XML "
    "(<PubmedArticleSet>), each plain or gzip; or a directory of *.jsonl, *.jsonl.gz, *.xml, "
    "*.xml.gz files"
)
_SNIFF_BYTES = 4096
_BLANK = b" \t\r\n\xef\xbb\xbf"  # whitespace and the UTF-8 byte order mark


def detect_format(path: Path) -> str:
    """'jsonl' or 'xml' from the first non-blank byte; CorpusError for empty or unknown input."""
    try:
        with open_binary(path) as fh:
            head = b""
            while not head:
                block = fh.read(_SNIFF_BYTES)
                if not block:
                    raise CorpusError(f"{path}: file is empty; {ACCEPTED}")
                head = block.lstrip(_BLANK)
    except READ_ERRORS as exc:
        raise CorpusError(
            f"{path}: cannot be read ({type(exc).__name__}: {exc or 'no detail'}); the file is "
            "truncated or corrupt: re-download or re-compress it"
        ) from None
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"<"):
        return "xml"
    raise CorpusError(f"{path}: unknown format (starts with {head[:20]!r}); {ACCEPTED}")


def corpus_files(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """Files to read, in order: each file as given, each directory's corpus files sorted."""
    if isinstance(paths, str | Path):
        paths = [paths]
    files: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            inside = sorted({f for pattern in CORPUS_PATTERNS for f in path.glob(pattern)})
            if not inside:
                raise CorpusError(f"{path}: directory holds no corpus files; {ACCEPTED}")
            files += [f for f in inside if f.is_file()]
        elif path.is_file():
            files.append(path)
        else:
            raise CorpusError(f"{path}: no such file or directory; {ACCEPTED}")
    if not files:
        raise CorpusError(f"no corpus input given; {ACCEPTED}")
    return files


def read_corpus(
    paths: str | Path | Iterable[str | Path],
    report: ReadReport | None = None,
    source: str | None = None,
    limits: ReaderSettings = DEFAULT_LIMITS,
) -> Iterator[Document]:
    """Documents from every file in `paths`, in order; problems and deleted PMIDs go to `report`.

    Paths are checked before anything is read, so a typo fails at once rather than mid-stream.
    A file that cannot be read on is skipped from the point of its fault (records before it are
    kept) and reported as a file problem. `source` overrides the Document.source default
    ("pubmed" for XML, the record's own for JSONL).
    """
    files = corpus_files(paths)
    report = report if report is not None else ReadReport()
    return _read(files, report, source, limits)


def _read(
    files: list[Path], report: ReadReport, source: str | None, limits: ReaderSettings
) -> Iterator[Document]:
    for path in files:
        try:
            if detect_format(path) == "xml":
                yield from read_pubmed_xml(path, report, source or "pubmed", limits)
            else:
                yield from read_jsonl(path, report, source or "", limits)
        except CorpusError as exc:
            line, message = _where(str(exc), path)
            report.add(Problem(str(path), line, message, kind="file"))


def _where(message: str, path: Path) -> tuple[int, str]:
    """Split a reader's "PATH:LINE: message" (or "PATH: message") into line and message."""
    prefix = f"{path}:"
    if not message.startswith(prefix):
        return 0, message
    line, sep, tail = message[len(prefix):].partition(": ")
    if sep and line.isdigit():
        return int(line), tail
    return 0, message[len(prefix):].lstrip()

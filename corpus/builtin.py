"""The corpus shipped inside the package, so a fresh install can answer without downloads.

Four public data sets' corpus records, gzip JSONL byte-identical to the staged originals; see
corpus/builtin/README.md for what each holds and its licence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

from corpus.jsonl import read_jsonl
from corpus.problems import ReadReport
from corpus.records import Document

BUILTIN_DIR = Path(__file__).resolve().parent / "builtin"
BUILTIN_SOURCES = ("pubmedqa", "evidence_inference", "ncbi_disease", "medquad")
# Per-article PMC licences of evidence_inference: {"pmid", "pmcid", "license", "copyright"}.
EVIDENCE_INFERENCE_PROVENANCE = BUILTIN_DIR / "evidence_inference.provenance.jsonl.gz"


def builtin_corpus_files() -> list[tuple[str, Path]]:
    """(source name, path) of each built-in corpus file, in reading order."""
    return [(name, BUILTIN_DIR / f"{name}.jsonl.gz") for name in BUILTIN_SOURCES]


def read_builtin(
    report: ReadReport | None = None, sources: Iterable[str] | None = None
) -> Iterator[Document]:
    """Documents of the built-in corpus (or of the named `sources`), each with source=<set name>."""
    report = report if report is not None else ReadReport()
    wanted = BUILTIN_SOURCES if sources is None else tuple(sources)
    unknown = sorted(set(wanted) - set(BUILTIN_SOURCES))
    if unknown:
        raise ValueError(f"unknown built-in sources {unknown}; known: {list(BUILTIN_SOURCES)}")
    return chain.from_iterable(
        read_jsonl(path, report, source=name)
        for name, path in builtin_corpus_files()
        if name in wanted
    )

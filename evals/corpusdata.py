"""A corpus given with `--corpus`: its documents, fingerprint, id aliases and gold passages."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from corpus import ChunkSettings, Document, Passage, ReadReport, chunk_document, read_corpus
from corpus.readers import corpus_files
from evals.provenance import sha256_file


@dataclass(frozen=True)
class CorpusData:
    files: tuple[Path, ...]
    fingerprints: dict[str, str]  # file -> sha256
    documents: tuple[Document, ...]
    skipped: int  # records the corpus reader could not use

    @property
    def fingerprint(self) -> str:
        """One sha256 over the files' contents (not their names), so a copy hits the same cache."""
        joined = "\n".join(sorted(self.fingerprints.values()))
        return hashlib.sha256(joined.encode()).hexdigest()


def load_corpus(paths: Sequence[str | Path]) -> CorpusData:
    files = tuple(corpus_files(list(paths)))
    report = ReadReport()
    documents = tuple(read_corpus(list(files), report))
    return CorpusData(files, {str(f): sha256_file(f) for f in files}, documents, report.skipped)


def aliases_of(passages_or_docs: Iterable[Document | Passage]) -> dict[str, str]:
    """Every id a gold list may use (doc id or PMID) -> the doc id a ranking reports."""
    aliases: dict[str, str] = {}
    for item in passages_or_docs:
        aliases.setdefault(item.doc_id, item.doc_id)
        if item.pmid:
            aliases.setdefault(item.pmid, item.doc_id)
    return aliases


def gold_passages(
    documents: Iterable[Document], wanted: set[str], chunking: ChunkSettings
) -> dict[str, list[Passage]]:
    """Passages (chunked as the index chunks them) of the documents named in `wanted`, keyed by
    every alias a question may use."""
    found: dict[str, list[Passage]] = {}
    for doc in documents:
        keys = {doc.doc_id, doc.pmid} & wanted
        if keys:
            passages = chunk_document(doc, chunking)
            for key in keys:
                found[key] = passages
    return found


def cache_key(corpus_fingerprint: str, embedder: str, index_factory: str,
              chunking: ChunkSettings) -> str:
    """Names the eval-cache folder: any change of corpus, embedder or index layout is a new one."""
    spec = {"corpus": corpus_fingerprint, "embedder": embedder, "index_factory": index_factory,
            "chunking": asdict(chunking)}
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]

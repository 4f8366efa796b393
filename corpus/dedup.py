"""Keep one record per document, so a daily update read after the baseline replaces revisions."""

from __future__ import annotations

from collections.abc import Iterable

from corpus.records import Document


def dedupe(documents: Iterable[Document], deleted: Iterable[str] = ()) -> list[Document]:
    """One Document per doc_id: the highest `version`, and of equal versions the later one.

    Ids keep the position where they were first seen, so re-reading an updated corpus gives the
    same order (and the same passage row ids up to the first change). Ids in `deleted` (PubMed
    DeleteCitation PMIDs, see ReadReport.deleted) are dropped.
    """
    chosen: dict[str, Document] = {}
    for doc in documents:
        kept = chosen.get(doc.doc_id)
        if kept is None or doc.version >= kept.version:
            chosen[doc.doc_id] = doc  # re-assigning keeps the key's first-seen position
    gone = set(deleted)
    return [doc for doc_id, doc in chosen.items() if doc_id not in gone]

"""The records that flow through medchat: a source `Document` and the `Passage`s cut from it."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Section:
    """One labelled part of an abstract (BACKGROUND, METHODS, ...); "" label when unstructured."""

    label: str
    text: str


@dataclass(frozen=True)
class Document:
    """A source record. `doc_id` is the PMID for PubMed records, a source-prefixed id otherwise."""

    doc_id: str
    title: str
    sections: tuple[Section, ...]
    pmid: str = ""
    year: int | None = None
    journal: str = ""
    publication_types: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    version: int = 1
    source: str = ""
    url: str = ""

    @property
    def text(self) -> str:
        return "\n".join(
            f"{s.label}: {s.text}" if s.label else s.text for s in self.sections if s.text
        )

    @property
    def link(self) -> str:
        """Where a reader can see the original: PubMed for PMIDs, else the record's own URL."""
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        return self.url


@dataclass(frozen=True)
class Passage:
    """A retrievable unit: the title plus a sentence-aligned window of one document.

    `row_id` is the passage's row in the `PassageStore`, which is also its FAISS/BM25 id.
    """

    doc_id: str
    chunk: int
    text: str
    title: str = ""
    pmid: str = ""
    year: int | None = None
    journal: str = ""
    publication_types: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    sections: tuple[str, ...] = field(default=())
    link: str = ""
    source: str = ""
    row_id: int | None = None

    @property
    def citation_id(self) -> str:
        """The id an answer cites: the PMID where there is one."""
        return self.pmid or self.doc_id

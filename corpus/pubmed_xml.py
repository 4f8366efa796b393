"""Read PubMed/MEDLINE XML (`PubmedArticleSet`, as the annual baseline, the daily update files and
E-utilities efetch ship it), plain or gzip, streaming one article at a time.

The parser is expat driven directly rather than `ElementTree.iterparse`, for two reasons: each
article is built as its own small tree and dropped once converted, so a 1 GB baseline file never
sits in memory; and expat reports the line where each article starts, so a skipped article is
reported as `file:line`. Input may be hostile: a DOCTYPE with an internal subset or any ENTITY
declaration is refused (billion-laughs and external-entity attacks need one; PubMed's own DOCTYPE
names only an external DTD, which is never fetched).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from corpus.jsonl import open_binary
from corpus.problems import CorpusError, Problem, ReadReport
from corpus.records import Document, Section

ROOT_TAG = "PubmedArticleSet"
_CHUNK_BYTES = 1 << 20
_YEAR = re.compile(r"\b(\d{4})\b")
_EXPECTED = "expected PubMed XML: a <PubmedArticleSet> of <PubmedArticle> records, plain or gzip"


class _Refused(Exception):
    """Raised inside an expat handler; turned into a CorpusError with the file and line."""


class _Collector:
    """Expat handlers that build each child of the root as a separate tree with its start line."""

    def __init__(self, parser: expat.XMLParserType) -> None:
        self._parser = parser
        self._depth = 0
        self._builder: ET.TreeBuilder | None = None
        self._line = 0
        self.done: list[tuple[int, ET.Element]] = []
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.entity

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        if self._depth == 1:
            if tag != ROOT_TAG:
                raise _Refused(f"root element is <{tag}>; {_EXPECTED}")
            return
        if self._depth == 2:
            self._builder = ET.TreeBuilder()
            self._line = self._parser.CurrentLineNumber
        self._builder.start(tag, attrs)

    def end(self, tag: str) -> None:
        if self._depth >= 2:
            self._builder.end(tag)
        if self._depth == 2:
            self.done.append((self._line, self._builder.close()))
            self._builder = None
        self._depth -= 1

    def data(self, text: str) -> None:
        if self._depth >= 2:
            self._builder.data(text)

    def doctype(self, name: str, system_id: str, public_id: str, has_internal_subset: int) -> None:
        if has_internal_subset:
            raise _Refused("refused a DOCTYPE with an internal subset (entity declarations can "
                           "expand without bound); PubMed XML needs none")

    def entity(self, name: str, *_: object) -> None:
        raise _Refused(f"refused the entity declaration {name!r}; PubMed XML needs none")


def _text(elem: ET.Element | None) -> str:
    """Inner text with nested markup (<i>, <sup>, ...) flattened and whitespace collapsed."""
    return " ".join("".join(elem.itertext()).split()) if elem is not None else ""


def _year(citation: ET.Element) -> int | None:
    pub_date = citation.find("Article/Journal/JournalIssue/PubDate")
    candidates = []
    if pub_date is not None:
        candidates += [_text(pub_date.find("Year")), _text(pub_date.find("MedlineDate"))]
    candidates += [_text(d.find("Year")) for d in citation.iterfind("Article/ArticleDate")]
    for value in candidates:
        match = _YEAR.search(value)
        if match:
            return int(match.group(1))
    return None


def _sections(article: ET.Element) -> tuple[Section, ...]:
    sections = []
    for part in article.iterfind("Abstract/AbstractText"):
        label = part.get("Label") or part.get("NlmCategory") or ""
        if label.upper() == "UNASSIGNED":
            label = ""
        text = _text(part)
        if text:
            sections.append(Section(label=" ".join(label.split()).upper(), text=text))
    return tuple(sections)


def _terms(parent: ET.Element, path: str) -> tuple[str, ...]:
    return tuple(t for t in (_text(e) for e in parent.iterfind(path)) if t)


def document_from_article(elem: ET.Element, source: str = "pubmed") -> Document:
    """Build a Document from one <PubmedArticle>; raises ValueError saying what is wrong."""
    citation = elem.find("MedlineCitation")
    if citation is None:
        raise ValueError("PubmedArticle has no MedlineCitation")
    # MedlineCitation/PMID only: CommentsCorrections and ArticleIdList hold other articles' PMIDs.
    pmid_elem = citation.find("PMID")
    pmid = _text(pmid_elem)
    if not pmid:
        raise ValueError("PubmedArticle has no MedlineCitation/PMID")
    if not pmid.isdigit():
        raise ValueError(f"PMID must be digits, got {pmid!r}")
    version = (pmid_elem.get("Version") or "1").strip()
    if not version.isdigit():
        raise ValueError(f"PMID {pmid}: Version must be a number, got {version!r}")
    article = citation.find("Article")
    if article is None:
        raise ValueError(f"PMID {pmid}: MedlineCitation has no Article")
    title = _text(article.find("ArticleTitle")) or _text(article.find("VernacularTitle"))
    sections = _sections(article)
    if not title and not sections:
        raise ValueError(f"PMID {pmid}: article has no title and no abstract")
    journal = _text(article.find("Journal/Title")) or _text(
        citation.find("MedlineJournalInfo/MedlineTA")
    )
    return Document(
        doc_id=pmid,
        title=title,
        sections=sections,
        pmid=pmid,
        year=_year(citation),
        journal=journal,
        publication_types=_terms(article, "PublicationTypeList/PublicationType"),
        mesh=_terms(citation, "MeshHeadingList/MeshHeading/DescriptorName"),
        version=int(version),
        source=source,
    )


def _convert(
    path: str, line: int, elem: ET.Element, report: ReadReport, ordinal: int, source: str
) -> Document | None:
    if elem.tag == "DeleteCitation":
        report.deleted.extend(p for p in (_text(e) for e in elem.iterfind("PMID")) if p)
        return None
    if elem.tag != "PubmedArticle":
        report.add(Problem(path, line, f"skipped <{elem.tag}>: only PubmedArticle is read"))
        return None
    try:
        doc = document_from_article(elem, source=source)
    except ValueError as exc:
        report.add(Problem(path, line, f"PubmedArticle #{ordinal}: {exc}"))
        return None
    report.read += 1
    return doc


def read_pubmed_xml(
    path: str | Path, report: ReadReport | None = None, source: str = "pubmed"
) -> Iterator[Document]:
    """Yield one Document per PubmedArticle; DeleteCitation PMIDs go to `report.deleted`.

    A malformed article is reported with its line and skipped; a file that is not well-formed
    PubMed XML, or that declares entities, raises CorpusError (it cannot be read on safely).
    """
    path = Path(path)
    report = report if report is not None else ReadReport()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    collector = _Collector(parser)
    ordinal = 0
    with open_binary(path) as fh:
        while True:
            chunk = fh.read(_CHUNK_BYTES)
            try:
                parser.Parse(chunk, not chunk)
            except _Refused as exc:
                raise CorpusError(f"{path}:{parser.CurrentLineNumber}: {exc}") from None
            except expat.ExpatError as exc:
                reason = expat.ErrorString(exc.code)
                raise CorpusError(
                    f"{path}:{exc.lineno}: not well-formed XML ({reason}); {_EXPECTED}"
                ) from None
            for line, elem in collector.done:
                if elem.tag == "PubmedArticle":
                    ordinal += 1
                doc = _convert(str(path), line, elem, report, ordinal, source)
                if doc is not None:
                    yield doc
            collector.done.clear()
            if not chunk:
                return

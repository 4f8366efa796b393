"""Read PubMed/MEDLINE XML (`PubmedArticleSet`, as the annual baseline, the daily update files and
E-utilities efetch ship it), plain or gzip, streaming one article at a time.

The parser is expat driven directly rather than `ElementTree.iterparse`, for two reasons: each
article is built as its own small tree and dropped once converted, so a 1 GB baseline file never
sits in memory; and expat reports the line where each article starts, so a skipped article is
reported as `file:line`. Input may be hostile: a DOCTYPE with an internal subset or any ENTITY
declaration is refused (billion-laughs and external-entity attacks need one; PubMed's own DOCTYPE
names only an external DTD, which is never fetched). An article over the record-size limit or
nested deeper than `ReaderSettings.max_depth` is skipped without being built.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.parsers import expat

from corpus.errors import CorpusError
from corpus.jsonl import READ_ERRORS, is_number, open_binary
from corpus.limits import DEFAULT_LIMITS, ReaderSettings
from corpus.problems import Problem, ReadReport
from corpus.records import Document, Section

ROOT_TAG = "PubmedArticleSet"
_CHUNK_BYTES = 1 << 20
_YEAR = re.compile(r"\b(\d{4})\b")
_EXPECTED = "expected PubMed XML: a <PubmedArticleSet> of <PubmedArticle> records, plain or gzip"


class _Refused(Exception):
    """Raised inside an expat handler; turned into a CorpusError with the file and line."""


class _Collector:
    """Expat handlers that build each child of the root as a separate tree with its start line.

    `done` collects (line, element, problem): the element is None, and problem says why, for a
    child that was too large or too deep to build.
    """

    def __init__(self, parser: expat.XMLParserType, limits: ReaderSettings) -> None:
        self._parser = parser
        self._limits = limits
        self._depth = 0
        self._builder: ET.TreeBuilder | None = None
        self._line = 0
        self._chars = 0
        self._tag = ""
        self._problem = ""
        self.done: list[tuple[int, ET.Element | None, str]] = []
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end
        parser.CharacterDataHandler = self.data
        parser.StartDoctypeDeclHandler = self.doctype
        parser.EntityDeclHandler = self.entity

    def _count(self, chars: int) -> None:
        self._chars += chars
        if self._builder is not None and self._chars > self._limits.max_record_chars:
            self._drop(f"<{self._tag}> is over {self._limits.max_record_chars:,} characters "
                       "(reading.max_record_chars)")

    def _drop(self, problem: str) -> None:
        self._builder, self._problem = None, problem

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        self._depth += 1
        if self._depth == 1:
            if tag != ROOT_TAG:
                raise _Refused(f"root element is <{tag}>; {_EXPECTED}")
            return
        if self._depth == 2:
            self._builder, self._problem = ET.TreeBuilder(), ""
            self._line, self._chars, self._tag = self._parser.CurrentLineNumber, 0, tag
        elif self._depth - 1 > self._limits.max_depth and self._builder is not None:
            self._drop(f"<{self._tag}> nests markup over {self._limits.max_depth} levels deep")
        self._count(len(tag) + sum(len(k) + len(v) for k, v in attrs.items()))
        if self._builder is not None:
            self._builder.start(tag, attrs)

    def end(self, tag: str) -> None:
        if self._depth >= 2 and self._builder is not None:
            self._builder.end(tag)
        if self._depth == 2:
            built = self._builder.close() if self._builder is not None else None
            self.done.append((self._line, built, self._problem))
            self._builder = None
        self._depth -= 1

    def data(self, text: str) -> None:
        if self._depth >= 2:
            self._count(len(text))
            if self._builder is not None:
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
    if not is_number(pmid):
        raise ValueError(f"PMID must be digits, got {pmid!r}")
    version = (pmid_elem.get("Version") or "1").strip()
    if not is_number(version) or len(version) > 9:
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
    path: str, line: int, elem: ET.Element | None, report: ReadReport, ordinal: int, source: str
) -> Document | None:
    if elem is None:
        return None
    if elem.tag == "DeleteCitation":
        report.deleted.extend(p for p in (_text(e) for e in elem.iterfind("PMID")) if p)
        return None
    if elem.tag != "PubmedArticle":
        report.add(Problem(path, line, f"skipped <{elem.tag}>: only PubmedArticle is read"))
        return None
    try:
        doc = document_from_article(elem, source=source)
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        report.add(Problem(path, line, f"PubmedArticle #{ordinal}: {exc}"))
        return None
    report.read += 1
    return doc


def read_pubmed_xml(
    path: str | Path,
    report: ReadReport | None = None,
    source: str = "pubmed",
    limits: ReaderSettings = DEFAULT_LIMITS,
) -> Iterator[Document]:
    """Yield one Document per PubmedArticle; DeleteCitation PMIDs go to `report.deleted`.

    A malformed or oversized article is reported with its line and skipped; a file that is not
    well-formed PubMed XML, declares entities, or ends early (truncated gzip) raises CorpusError
    once the articles before the fault were yielded (it cannot be read on safely).
    """
    path = Path(path)
    report = report if report is not None else ReadReport()
    parser = expat.ParserCreate()
    parser.buffer_text = True
    collector = _Collector(parser, limits)
    ordinal = 0
    with open_binary(path) as fh:
        while True:
            chunk, fault = _parse_next(fh, parser, path)
            for line, elem, problem in collector.done:
                if elem is None or elem.tag == "PubmedArticle":
                    ordinal += 1
                if problem:
                    report.add(Problem(str(path), line, f"article #{ordinal}: {problem}"))
                doc = _convert(str(path), line, elem, report, ordinal, source)
                if doc is not None:
                    yield doc
            collector.done.clear()
            if fault is not None:
                raise fault
            if not chunk:
                return


def _parse_next(
    fh: object, parser: expat.XMLParserType, path: Path
) -> tuple[bytes, CorpusError | None]:
    """Feed the next block to expat; a fault comes back (not raised) so that the articles
    completed before it are still yielded."""
    try:
        chunk = fh.read(_CHUNK_BYTES)
    except READ_ERRORS as exc:
        return b"", CorpusError(
            f"{path}:{parser.CurrentLineNumber}: the file ends early or is corrupt "
            f"({type(exc).__name__}: {exc or 'no detail'}); the articles before this line were "
            "read. Re-download or re-compress the file."
        )
    try:
        parser.Parse(chunk, not chunk)
    except _Refused as exc:
        return chunk, CorpusError(f"{path}:{parser.CurrentLineNumber}: {exc}")
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        return chunk, CorpusError(
            f"{path}:{exc.lineno}: not well-formed XML ({reason}); {_EXPECTED}"
        )
    return chunk, None

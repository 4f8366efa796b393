"""Property-based fuzzing of corpus input: JSONL records and files, PubMed XML, the chunker.

Whatever the bytes, reading never raises past the reader (a bad record or file becomes a
reported problem with its file and line) and every document read can be chunked. Cases are
derandomised (the same every run) and counted; `pytest -s` prints the counts.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from xml.sax.saxutils import escape

import pytest
from fuzzing import fuzz
from hypothesis import given
from hypothesis import strategies as st

from corpus import ChunkSettings, CorpusError, ReadReport, chunk_document, read_corpus
from corpus.jsonl import document_from_record
from corpus.limits import ReaderSettings
from corpus.pubmed_xml import read_pubmed_xml
from corpus.records import Document, Section

CASES: Counter[str] = Counter()
SMALL_LIMITS = ReaderSettings(max_record_chars=2000, max_depth=12)


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    print(f"\nfuzz cases (corpus): {sum(CASES.values())} {dict(CASES)}")


# --- JSON records -------------------------------------------------------------------------

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
           | st.sampled_from(["1e400", "-1", "0", "²", "2011", "12345678901234567890", ""]))
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                           max_leaves=12)
sections = st.lists(st.fixed_dictionaries({}, optional={"label": json_values,
                                                        "text": st.text(max_size=200) | scalars}),
                    max_size=4)
FIELDS = ("pmid", "doc_id", "title", "sections", "abstract", "year", "version", "mesh",
          "publication_types", "journal", "url", "source")
any_char = st.characters(codec=None, categories=None) | st.characters(min_codepoint=0xD800,
                                                                       max_codepoint=0xDFFF)
records = st.fixed_dictionaries({}, optional={
    "pmid": st.from_regex(r"\A[0-9]{1,9}\Z") | json_values,
    "doc_id": st.text(max_size=12) | json_values,
    "title": st.text(any_char, max_size=80) | json_values,
    "sections": sections | json_values,
    "abstract": st.text(max_size=300) | json_values,
    "year": st.integers(-10, 10**6) | json_values,
    "version": st.integers(-2, 10**12) | json_values,
    "mesh": st.lists(st.text(max_size=10), max_size=3) | json_values,
    "publication_types": st.lists(st.text(max_size=10), max_size=3) | json_values,
})
HANDLED = (ValueError, TypeError, OverflowError, RecursionError)


@fuzz(2500)
@given(records | json_values)
def test_any_json_value_becomes_a_document_or_a_handled_error(record):
    CASES["json record"] += 1
    try:
        doc = document_from_record(record)
    except HANDLED:
        return
    assert doc.doc_id and (doc.title or doc.sections)
    assert all(s.text for s in doc.sections)
    assert chunk_document(doc)


# --- JSONL files ----------------------------------------------------------------------------

lines = st.lists(records.map(lambda r: json.dumps(r).encode())
                 | st.binary(max_size=60)
                 | st.sampled_from([b"{", b"[" * 3000 + b"]" * 3000, b'{"pmid": "1", "title":'
                                    b' "t", "version": 1e400}', b"\xff\xfe{}", b"\x1f\x8b"]),
                 max_size=8)


@fuzz(1200)
@given(lines, st.sampled_from(["plain", "gzip", "truncated gzip"]), st.integers(1, 10**6))
def test_jsonl_files_of_any_bytes_are_read_without_raising(tmp_path, body, packing, cut):
    CASES["jsonl file"] += 1
    data = b"\n".join(body) + b"\n"
    if packing != "plain":
        data = gzip.compress(data)
        if packing == "truncated gzip":
            data = data[: cut % len(data)]
    path = tmp_path / "input.jsonl"
    path.write_bytes(data)
    report = ReadReport()
    docs = list(read_corpus(path, report, limits=SMALL_LIMITS))
    assert report.read == len(docs)
    assert all(p.path == str(path) for p in report.problems)
    for doc in docs:
        for passage in chunk_document(doc):  # what the store and the tokenizer will take
            json.dumps(vars(passage), ensure_ascii=False).encode("utf-8")


# --- PubMed XML -----------------------------------------------------------------------------

texts = st.text(max_size=60).map(escape)
inline = st.recursive(texts, lambda inner: st.tuples(st.sampled_from(["i", "b", "sup"]), inner)
                      .map(lambda t: f"<{t[0]}>{t[1]}</{t[0]}>"), max_leaves=20)


@st.composite
def articles(draw) -> str:
    pmid = draw(st.from_regex(r"\A[0-9]{1,8}\Z") | texts)
    version = draw(st.sampled_from(['', ' Version="1"', ' Version="x"', ' Version="99999999999"']))
    parts = [f"<PMID{version}>{pmid}</PMID>" if draw(st.booleans()) else ""]
    body = f"<ArticleTitle>{draw(inline)}</ArticleTitle>" if draw(st.booleans()) else ""
    for _ in range(draw(st.integers(0, 3))):
        label = draw(st.sampled_from(["", ' Label="METHODS"', ' NlmCategory="RESULTS"']))
        body += f"<Abstract><AbstractText{label}>{draw(inline)}</AbstractText></Abstract>"
    body += f"<Journal><JournalIssue><PubDate><Year>{draw(texts)}</Year></PubDate>" \
            "</JournalIssue></Journal>"
    if draw(st.booleans()):
        parts.append(f"<Article>{body}</Article>")
    mesh = "".join(f"<MeshHeading><DescriptorName>{draw(texts)}</DescriptorName></MeshHeading>"
                   for _ in range(draw(st.integers(0, 2))))
    parts.append(f"<MeshHeadingList>{mesh}</MeshHeadingList>")
    tag = draw(st.sampled_from(["PubmedArticle", "PubmedArticle", "DeleteCitation", "Other"]))
    return f"<{tag}><MedlineCitation>{''.join(parts)}</MedlineCitation></{tag}>"


@st.composite
def xml_files(draw) -> bytes:
    root = draw(st.sampled_from(["PubmedArticleSet", "PubmedArticleSet", "pmc-articleset"]))
    prolog = draw(st.sampled_from(["", '<?xml version="1.0"?>',
                                   '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD" "x.dtd">',
                                   '<!DOCTYPE x [<!ENTITY a "aaaa">]>']))
    text = f"{prolog}<{root}>{''.join(draw(st.lists(articles(), max_size=4)))}</{root}>"
    data = text.encode("utf-8")
    cut = draw(st.none() | st.integers(0, len(data)))
    junk = draw(st.binary(max_size=8))
    return data if cut is None else data[:cut] + junk + data[cut:]


@fuzz(1200)
@given(xml_files())
def test_pubmed_xml_of_any_shape_yields_documents_or_a_corpus_error(tmp_path, data):
    CASES["pubmed xml"] += 1
    path = tmp_path / "input.xml"
    path.write_bytes(data)
    report, docs = ReadReport(), []
    try:
        for doc in read_pubmed_xml(path, report, limits=SMALL_LIMITS):
            docs.append(doc)  # articles before a fault are kept
    except CorpusError as exc:
        assert str(exc).startswith(f"{path}:")
    assert report.read == len(docs)
    for doc in docs:
        assert doc.pmid.isascii() and doc.pmid.isdigit()
        chunk_document(doc)


# --- the chunker ----------------------------------------------------------------------------

words = st.text(st.characters(blacklist_categories=["Zs", "Cc", "Zl", "Zp"]), min_size=1,
                max_size=15)
sentences = st.lists(words, min_size=1, max_size=25).map(" ".join).flatmap(
    lambda s: st.sampled_from([".", "!", "?", "", ". e.g."]).map(lambda end: s + end))


@st.composite
def documents(draw) -> Document:
    secs = tuple(
        Section(draw(st.sampled_from(["", "METHODS", "RESULTS"])),
                " ".join(draw(st.lists(sentences, min_size=1, max_size=8))))
        for _ in range(draw(st.integers(0, 4)))
    )
    return Document("d1", " ".join(draw(st.lists(words, max_size=30))), secs)


@st.composite
def chunk_settings(draw) -> ChunkSettings:
    max_words = draw(st.integers(20, 200))
    return ChunkSettings(max_words, draw(st.integers(0, max_words // 2 - 1)))


@fuzz(1000)
@given(documents(), chunk_settings())
def test_chunks_cover_every_word_and_are_numbered_in_order(doc, chunking):
    CASES["chunker"] += 1
    passages = chunk_document(doc, chunking)
    if not doc.title and not any(s.text.split() for s in doc.sections):
        assert passages == []
        return
    assert [p.chunk for p in passages] == list(range(len(passages)))
    assert {p.doc_id for p in passages} == {"d1"}
    seen = {w for p in passages for w in p.text.split()}
    assert {w for s in doc.sections for w in s.text.split()} <= seen

"""PubMed XML: baseline/update files and efetch output, read one article at a time."""

import gzip
from pathlib import Path

import pytest

from corpus import CorpusError, ReadReport, read_pubmed_xml
from corpus.limits import ReaderSettings

SAMPLE = Path(__file__).parent / "data" / "pubmed_sample.xml"
SAMPLE_GZ = SAMPLE.with_name("pubmed_sample.xml.gz")


def _read(path: Path = SAMPLE) -> tuple[list, ReadReport]:
    report = ReadReport()
    return list(read_pubmed_xml(path, report)), report


def _article(pmid: str, body: str = "") -> str:
    return (
        f'<PubmedArticle><MedlineCitation><PMID Version="1">{pmid}</PMID><Article>'
        f"<ArticleTitle>Title {pmid}.</ArticleTitle>{body}</Article></MedlineCitation>"
        "</PubmedArticle>"
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "input.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_yields_its_two_wellformed_articles_as_pubmed_documents():
    docs, report = _read()
    assert [d.doc_id for d in docs] == ["31452104", "9811405"]
    assert all(d.pmid == d.doc_id and d.source == "pubmed" for d in docs)
    assert report.read == 2


def test_pubmed_doctype_naming_an_external_dtd_is_accepted_and_not_fetched():
    assert "<!DOCTYPE PubmedArticleSet PUBLIC" in SAMPLE.read_text()
    assert _read()[1].skipped == 1  # only the article without a PMID


def test_structured_abstract_keeps_labels_upper_case_falling_back_to_nlm_category():
    doc = _read()[0][0]
    assert [s.label for s in doc.sections] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert doc.sections[2].text.endswith("95% CI, 0.21 to 0.94; P=0.03).")


def test_title_and_abstract_keep_the_text_inside_nested_markup():
    doc = _read()[0][0]
    assert doc.title == (
        "Eradication of Helicobacter pylori and gastric cancer incidence: a randomised trial."
    )
    assert "with H. pylori is" in doc.sections[0].text


def test_pmid_is_the_citations_own_not_one_from_comments_or_article_ids():
    assert "31780001" not in [d.pmid for d in _read()[0]]


def test_metadata_journal_year_publication_types_and_mesh():
    doc = _read()[0][0]
    assert doc.journal == "British journal of cancer"
    assert doc.year == 2019
    assert doc.publication_types == ("Randomized Controlled Trial", "Journal Article")
    assert doc.mesh == ("Helicobacter Infections", "Humans", "Stomach Neoplasms")


def test_pmid_version_attribute_becomes_document_version():
    assert [d.version for d in _read()[0]] == [1, 2]


def test_year_comes_from_medline_date_when_pub_date_has_no_year():
    doc = _read()[0][1]
    assert doc.year == 1998
    assert doc.sections[0].label == ""


def test_year_falls_back_to_article_date(tmp_path):
    date = '<ArticleDate DateType="Electronic"><Year>2021</Year></ArticleDate>'
    path = _write(tmp_path, f"<PubmedArticleSet>{_article('123', date)}</PubmedArticleSet>")
    assert _read(path)[0][0].year == 2021


def test_article_without_pmid_is_reported_with_its_line_and_skipped():
    docs, report = _read()
    [problem] = report.problems
    assert problem.path == str(SAMPLE)
    lines = SAMPLE.read_text().splitlines()
    assert lines[problem.line - 1].strip() == "<PubmedArticle>"
    assert "A record that lost its PMID" in "\n".join(lines[problem.line : problem.line + 6])
    assert "no MedlineCitation/PMID" in problem.message


def test_delete_citation_pmids_are_recorded_not_yielded():
    docs, report = _read()
    assert report.deleted == ["29447010", "30111223"]
    assert not {"29447010", "30111223"} & {d.pmid for d in docs}


def test_gzip_file_reads_like_the_plain_file():
    assert _read(SAMPLE_GZ)[0] == _read(SAMPLE)[0]
    assert _read(SAMPLE_GZ)[1].deleted == _read(SAMPLE)[1].deleted


def test_billion_laughs_entity_expansion_is_refused(tmp_path):
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 or "")) * 10}">' for i in range(1, 10)
    )
    article = _article("1", "<Abstract><AbstractText>&lol9;</AbstractText></Abstract>")
    path = _write(
        tmp_path,
        f"<?xml version='1.0'?><!DOCTYPE PubmedArticleSet [{entities}]>"
        f"<PubmedArticleSet>{article}</PubmedArticleSet>",
    )
    with pytest.raises(CorpusError, match="internal subset"):
        _read(path)


def test_external_entity_is_refused(tmp_path):
    path = _write(
        tmp_path,
        '<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f"<PubmedArticleSet>{_article('1')}</PubmedArticleSet>",
    )
    with pytest.raises(CorpusError, match="internal subset"):
        _read(path)


def test_file_that_is_not_xml_gets_an_error_saying_what_was_expected(tmp_path):
    path = _write(tmp_path, "PMID- 123\nTI  - a MEDLINE text record\n")
    with pytest.raises(CorpusError, match=r"input.xml:1: not well-formed XML.*PubmedArticleSet"):
        _read(path)


def test_xml_with_another_root_element_is_refused(tmp_path):
    path = _write(tmp_path, "<pmc-articleset><article/></pmc-articleset>")
    with pytest.raises(CorpusError, match="root element is <pmc-articleset>"):
        _read(path)


def test_articles_stream_before_the_end_of_a_large_file_is_parsed(tmp_path):
    abstract = "<Abstract><AbstractText>" + "word " * 100 + "</AbstractText></Abstract>"
    body = "".join(_article(str(i), abstract) for i in range(1, 3001))
    path = tmp_path / "big.xml.gz"
    path.write_bytes(gzip.compress(f"<PubmedArticleSet>{body}<broken".encode()))
    docs = read_pubmed_xml(path)
    assert next(docs).pmid == "1"
    with pytest.raises(CorpusError, match="not well-formed"):
        list(docs)


def test_article_over_the_size_limit_is_skipped_with_its_line(tmp_path):
    big = "<Abstract><AbstractText>" + "word " * 2000 + "</AbstractText></Abstract>"
    path = _write(tmp_path, f"<PubmedArticleSet>\n{_article('1', big)}\n{_article('2')}\n"
                            "</PubmedArticleSet>")
    report = ReadReport()
    docs = list(read_pubmed_xml(path, report, limits=ReaderSettings(max_record_chars=5000)))
    assert [d.pmid for d in docs] == ["2"]
    assert str(report.problems[0]).startswith(f"{path}:2: article #1: <PubmedArticle> is over "
                                              "5,000 characters")


def test_markup_nested_too_deeply_is_skipped_not_a_recursion_error(tmp_path):
    title = "<i>" * 50_000 + "deep" + "</i>" * 50_000
    path = _write(tmp_path, f"<PubmedArticleSet>{_article('1', title)}{_article('2')}"
                            "</PubmedArticleSet>")
    docs, report = _read(path)
    assert [d.pmid for d in docs] == ["2"]
    assert "nests markup over 100 levels deep" in report.problems[0].message


def test_articles_before_a_fault_in_the_same_block_are_still_yielded(tmp_path):
    path = _write(tmp_path, f"<PubmedArticleSet>{_article('1')}{_article('2')}<broken")
    docs = read_pubmed_xml(path)
    assert [next(docs).pmid, next(docs).pmid] == ["1", "2"]
    with pytest.raises(CorpusError, match="not well-formed"):
        next(docs)


def test_undecodable_bytes_name_the_file_and_line(tmp_path):
    path = tmp_path / "input.xml"
    path.write_bytes(f"<PubmedArticleSet>\n{_article('1')}\n".encode() + b"<x>\xff\xfe</x>")
    with pytest.raises(CorpusError, match=r"input\.xml:3: not well-formed XML"):
        _read(path)

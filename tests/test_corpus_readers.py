"""read_corpus: files or directories, format by content, clear errors for unusable input."""

import gzip
import json
import re
import shutil
from pathlib import Path

import pytest

from corpus import CorpusError, ReadReport, read_corpus

SAMPLE = Path(__file__).parent / "data" / "pubmed_sample.xml"
RECORD = {"pmid": "555", "title": "A JSONL record.", "sections": [{"label": "", "text": "Text."}]}


def _jsonl(path: Path, *records: dict) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_directory_reads_its_corpus_files_in_sorted_order(tmp_path):
    shutil.copy(SAMPLE, tmp_path / "b_pubmed.xml")
    packed = tmp_path / "a_records.jsonl.gz"
    packed.write_bytes(gzip.compress(json.dumps(RECORD).encode() + b"\n"))
    (tmp_path / "notes.txt").write_text("not corpus input")
    docs = list(read_corpus(tmp_path))
    assert [d.doc_id for d in docs] == ["555", "31452104", "9811405"]
    assert [d.source for d in docs] == ["", "pubmed", "pubmed"]


def test_format_is_detected_by_content_not_by_extension(tmp_path):
    xml_named_jsonl = tmp_path / "pubmed.jsonl"
    xml_named_jsonl.write_bytes(SAMPLE.read_bytes())
    jsonl_named_xml = tmp_path / "records.xml"
    jsonl_named_xml.write_text("\n  \n" + json.dumps(RECORD) + "\n")
    docs = list(read_corpus([xml_named_jsonl, jsonl_named_xml]))
    assert [d.doc_id for d in docs] == ["31452104", "9811405", "555"]


def test_deleted_pmids_and_problems_surface_in_the_report():
    report = ReadReport()
    list(read_corpus(SAMPLE, report))
    assert report.deleted == ["29447010", "30111223"]
    assert report.read == 2 and report.skipped == 1


def test_source_argument_overrides_the_default_source(tmp_path):
    docs = list(read_corpus([SAMPLE, _jsonl(tmp_path / "r.jsonl", RECORD)], source="mine"))
    assert {d.source for d in docs} == {"mine"}


def test_missing_path_fails_at_once_naming_the_accepted_formats(tmp_path):
    with pytest.raises(CorpusError, match="no such file or directory.*JSON lines.*PubMed XML"):
        read_corpus([SAMPLE, tmp_path / "missing.jsonl"])  # not even iterated


def _file_problems(paths) -> tuple[list, ReadReport]:
    report = ReadReport()
    docs = list(read_corpus(paths, report))
    return docs, report


def test_empty_file_is_reported_and_skipped(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    docs, report = _file_problems([empty, _jsonl(tmp_path / "r.jsonl", RECORD)])
    assert [d.doc_id for d in docs] == ["555"]
    [problem] = report.problems
    assert problem.kind == "file" and "file is empty" in problem.message


def test_unknown_format_is_reported_saying_what_is_accepted(tmp_path):
    csv = tmp_path / "abstracts.jsonl"
    csv.write_text("pmid,title\n1,x\n")
    docs, report = _file_problems(csv)
    assert docs == [] and report.files_skipped == 1
    assert re.search(r"unknown format.*accepted: JSON lines", report.problems[0].message)


def test_truncated_gzip_keeps_earlier_records_and_the_other_files(tmp_path):
    lines = b"".join(json.dumps(dict(RECORD, pmid=str(i))).encode() + b"\n" for i in range(300))
    whole = gzip.compress(lines)
    cut = tmp_path / "a_cut.jsonl.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    docs, report = _file_problems([cut, _jsonl(tmp_path / "b.jsonl", dict(RECORD, pmid="999"))])
    assert docs[-1].doc_id == "999" and 0 < len(docs) - 1 < 300
    [problem] = report.problems
    assert problem.kind == "file" and problem.path == str(cut) and problem.line > 0
    assert "ends early or is corrupt (EOFError" in problem.message


def test_tiny_truncated_gzip_is_reported_not_raised(tmp_path):
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(gzip.compress(SAMPLE.read_bytes())[:15])
    docs, report = _file_problems(cut)
    assert docs == [] and "truncated or corrupt" in report.problems[0].message


def test_truncated_xml_gzip_keeps_the_articles_before_the_fault(tmp_path):
    whole = gzip.compress(SAMPLE.read_bytes())
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(whole[:-12])  # the gzip trailer and a little data are gone
    docs, report = _file_problems(cut)
    assert report.files_skipped == 1 and str(cut) in str(report.problems[-1])


def test_hostile_xml_file_is_skipped_and_the_rest_still_reads(tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]>'
                    "<PubmedArticleSet></PubmedArticleSet>")
    docs, report = _file_problems([bomb, _jsonl(tmp_path / "r.jsonl", RECORD)])
    assert [d.doc_id for d in docs] == ["555"]
    assert "internal subset" in report.problems[0].message


def test_summary_names_skipped_files_and_records(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    _jsonl(tmp_path / "r.jsonl", RECORD, {"title": "no id"})
    _, report = _file_problems(tmp_path)
    summary = report.summary()
    assert summary.splitlines()[0] == "read 1 records, skipped 1 and 1 unreadable file(s) (or " \
        "their ends)"
    assert f"{tmp_path / 'empty.jsonl'}: file is empty" in summary
    assert f"{tmp_path / 'r.jsonl'}:2: record has neither" in summary


def test_directory_without_corpus_files_is_an_error(tmp_path):
    (tmp_path / "readme.md").write_text("nothing here")
    with pytest.raises(CorpusError, match="holds no corpus files"):
        read_corpus(tmp_path)


def test_no_paths_at_all_is_an_error():
    with pytest.raises(CorpusError, match="no corpus input"):
        read_corpus([])

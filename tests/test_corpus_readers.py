"""read_corpus: files or directories, format by content, clear errors for unusable input."""

import gzip
import json
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


def test_empty_file_is_an_error(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(CorpusError, match="file is empty"):
        read_corpus(empty)


def test_unknown_format_is_an_error_saying_what_is_accepted(tmp_path):
    csv = tmp_path / "abstracts.jsonl"
    csv.write_text("pmid,title\n1,x\n")
    with pytest.raises(CorpusError, match=r"unknown format.*accepted: JSON lines"):
        read_corpus(csv)


def test_directory_without_corpus_files_is_an_error(tmp_path):
    (tmp_path / "readme.md").write_text("nothing here")
    with pytest.raises(CorpusError, match="holds no corpus files"):
        read_corpus(tmp_path)


def test_no_paths_at_all_is_an_error():
    with pytest.raises(CorpusError, match="no corpus input"):
        read_corpus([])

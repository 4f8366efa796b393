"""JSONL corpus records: the shape every staged data set uses."""

import gzip
import json
from pathlib import Path

from corpus import ReadReport, read_jsonl
from corpus.builtin import BUILTIN_DIR

GOOD = {
    "pmid": "21645374",
    "title": "Do mitochondria play a role in remodelling lace plant leaves?",
    "year": "2011",
    "sections": [{"label": "background", "text": "Programmed cell death  is regulated."}],
    "mesh": ["Mitochondria", "Plant Leaves"],
}


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_record_becomes_document_with_upper_case_labels_and_tidy_text(tmp_path):
    path = _write(tmp_path / "a.jsonl", [json.dumps(GOOD)])
    [doc] = read_jsonl(path)
    assert doc.doc_id == doc.pmid == "21645374"
    assert doc.year == 2011
    assert doc.sections[0].label == "BACKGROUND"
    assert doc.sections[0].text == "Programmed cell death is regulated."
    assert doc.mesh == ("Mitochondria", "Plant Leaves")


def test_malformed_lines_are_reported_with_line_number_and_skipped(tmp_path):
    other = dict(GOOD, pmid="21645375")
    truncated, no_id = '{"pmid": "1", "title": ', json.dumps({"title": "no id"})
    path = _write(tmp_path / "a.jsonl", [json.dumps(GOOD), truncated, no_id, json.dumps(other)])
    report = ReadReport()
    docs = list(read_jsonl(path, report))
    assert [d.pmid for d in docs] == ["21645374", "21645375"]
    assert report.read == 2
    assert [p.line for p in report.problems] == [2, 3]
    assert "neither 'pmid' nor 'doc_id'" in report.problems[1].message


def test_gzip_file_reads_the_same_as_plain(tmp_path):
    lines = [json.dumps(GOOD), json.dumps(dict(GOOD, pmid="2"))]
    plain = _write(tmp_path / "a.jsonl", lines)
    packed = tmp_path / "a.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    assert list(read_jsonl(packed)) == list(read_jsonl(plain))


def test_source_argument_fills_records_without_one(tmp_path):
    own = json.dumps(dict(GOOD, pmid="3", source="own"))
    path = _write(tmp_path / "a.jsonl", [json.dumps(GOOD), own])
    assert [d.source for d in read_jsonl(path, source="pubmedqa")] == ["pubmedqa", "own"]


def test_real_pubmedqa_records_read_without_problems():
    report = ReadReport()
    docs = list(read_jsonl(BUILTIN_DIR / "pubmedqa.jsonl.gz", report))
    assert len(docs) == 1000 and report.skipped == 0
    assert all(d.pmid.isdigit() and d.sections for d in docs)

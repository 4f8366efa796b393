"""JSONL corpus records: the shape every staged data set uses."""

import gzip
import json
import re
from pathlib import Path

from corpus import ReadReport, read_jsonl
from corpus.builtin import BUILTIN_DIR
from corpus.limits import DEFAULT_LIMITS, ReaderSettings

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


def _problems(path: Path, limits: ReaderSettings = DEFAULT_LIMITS) -> tuple[list, ReadReport]:
    report = ReadReport()
    return list(read_jsonl(path, report, limits=limits)), report


def test_undecodable_bytes_are_reported_with_file_and_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b'\n{"pmid": "7", "title": "caf\xe9"}\n')
    docs, report = _problems(path)
    assert len(docs) == 1
    assert str(report.problems[0]).startswith(f"{path}:2: not UTF-8 text (byte 0xe9 at column")


def test_deeply_nested_json_is_reported_not_raised(tmp_path):
    path = _write(tmp_path / "a.jsonl", ['{"pmid": "1", "title": ' + "[" * 100_000 + "]" * 100_000
                                         + "}", json.dumps(GOOD)])
    docs, report = _problems(path)
    assert [d.pmid for d in docs] == ["21645374"]
    assert report.problems[0].line == 1 and "nested too deeply" in report.problems[0].message


def test_number_too_large_for_its_field_is_reported(tmp_path):
    path = _write(tmp_path / "a.jsonl", [json.dumps(GOOD)[:-1] + ', "version": 1e400}'])
    docs, report = _problems(path)
    assert docs == [] and "'version' must be a whole number" in report.problems[0].message


def test_record_over_the_size_limit_is_skipped_with_a_message(tmp_path):
    big = dict(GOOD, pmid="2", sections=[{"label": "", "text": "word " * 2000}])
    path = _write(tmp_path / "a.jsonl", [json.dumps(big), json.dumps(GOOD)])
    docs, report = _problems(path, ReaderSettings(max_record_chars=5000))
    assert [d.pmid for d in docs] == ["21645374"]
    assert re.search(r"over the limit of 5,000 .*reading\.max_record_chars",
                     report.problems[0].message)


def test_line_far_over_the_limit_is_skipped_unread_and_the_next_line_still_reads(tmp_path):
    path = _write(tmp_path / "a.jsonl", ['{"pmid": "3", "title": "' + "x" * 50_000 + '"}',
                                         json.dumps(GOOD)])
    docs, report = _problems(path, ReaderSettings(max_record_chars=1000))
    assert [d.pmid for d in docs] == ["21645374"]
    assert "50,0" in report.problems[0].message and report.problems[0].line == 1


def test_byte_order_mark_on_the_first_line_is_ignored(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(GOOD).encode() + b"\n")
    docs, report = _problems(path)
    assert len(docs) == 1 and report.problems == []


def test_lone_surrogate_escapes_become_replacement_characters(tmp_path):
    path = _write(tmp_path / "a.jsonl", [json.dumps(dict(GOOD, title="x\ud800y \U0001f600"))])
    [doc] = read_jsonl(path)
    assert doc.title == "x\ufffdy \U0001f600"

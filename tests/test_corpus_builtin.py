"""The built-in corpus: four data sets shipped in the package with their licences."""

import gzip
from collections import Counter
from pathlib import Path

import pytest

from corpus import ReadReport, builtin_corpus_files, read_builtin
from corpus.builtin import BUILTIN_DIR, EVIDENCE_INFERENCE_PROVENANCE

SHARED = Path("/work/shared/data")
STAGED = {
    "pubmedqa": "pubmedqa/abstracts.jsonl",
    "evidence_inference": "evidence_inference/abstracts.jsonl",
    "ncbi_disease": "ncbi_disease/abstracts.jsonl",
    "medquad": "medquad/documents.jsonl.gz",
}


def test_files_are_listed_in_reading_order_with_licence_and_source_note():
    files = builtin_corpus_files()
    assert [name for name, _ in files] == list(STAGED)
    for name, path in files:
        assert path.is_file()
        assert (BUILTIN_DIR / f"{name}.LICENSE").is_file()
        assert (BUILTIN_DIR / f"{name}.SOURCE.md").is_file()
    assert EVIDENCE_INFERENCE_PROVENANCE.is_file()


def test_every_document_reads_with_its_data_set_as_source():
    report = ReadReport()
    counts = Counter(doc.source for doc in read_builtin(report))
    assert counts == {"pubmedqa": 1000, "evidence_inference": 4354, "ncbi_disease": 792,
                      "medquad": 16359}
    assert report.skipped == 0


def test_medquad_documents_are_keyed_by_doc_id_not_pmid():
    doc = next(read_builtin(sources=["medquad"]))
    assert doc.pmid == "" and doc.doc_id.startswith("medquad:") and doc.url


def test_unknown_source_name_is_refused_at_once():
    with pytest.raises(ValueError, match="unknown built-in sources"):
        read_builtin(sources=["pubmed"])


@pytest.mark.skipif(not SHARED.is_dir(), reason="staged data sets not on this machine")
@pytest.mark.parametrize("name", list(STAGED))
def test_shipped_records_are_byte_identical_to_the_staged_data(name):
    staged = SHARED / STAGED[name]
    raw = staged.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    assert gzip.decompress((BUILTIN_DIR / f"{name}.jsonl.gz").read_bytes()) == raw

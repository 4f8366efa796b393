"""dedupe: one record per doc_id, so updates read after the baseline replace revisions."""

from pathlib import Path

from corpus import Document, ReadReport, Section, dedupe, read_corpus

SAMPLE = Path(__file__).parent / "data" / "pubmed_sample.xml"


def _doc(doc_id: str, version: int = 1, title: str = "") -> Document:
    return Document(doc_id, title or f"Title of {doc_id}", (Section("", "Text."),), version=version)


def test_highest_version_wins_even_when_read_first():
    docs = dedupe([_doc("1", 2, "revised"), _doc("1", 1, "original")])
    assert [(d.version, d.title) for d in docs] == [(2, "revised")]


def test_later_record_wins_among_equal_versions():
    docs = dedupe([_doc("1", 1, "baseline"), _doc("1", 1, "update")])
    assert [d.title for d in docs] == ["update"]


def test_ids_keep_their_first_seen_order():
    docs = dedupe([_doc("b"), _doc("a"), _doc("c"), _doc("a", 2), _doc("b")])
    assert [d.doc_id for d in docs] == ["b", "a", "c"]
    assert docs[1].version == 2


def test_deleted_ids_are_dropped():
    assert [d.doc_id for d in dedupe([_doc("1"), _doc("2")], deleted=["1"])] == ["2"]


def test_update_file_read_after_baseline_replaces_and_deletes(tmp_path):
    baseline = tmp_path / "pubmed_base.xml"
    baseline.write_text(
        SAMPLE.read_text()
        .replace("<PMID Version=\"2\">9811405", "<PMID Version=\"1\">9811405")
        .replace("<DeleteCitation>", "<DeleteCitation><PMID Version=\"1\">1</PMID></DeleteCitation>"
                 "<DeleteCitation>", 1)
    )
    report = ReadReport()
    docs = list(read_corpus([baseline, SAMPLE], report))
    kept = dedupe(docs, deleted=report.deleted)
    assert [(d.doc_id, d.version) for d in kept] == [("31452104", 1), ("9811405", 2)]

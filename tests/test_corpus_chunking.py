"""chunk_document on real abstracts: whole when short, sentence-aligned windows when long."""

from itertools import islice

import pytest

from corpus import ChunkSettings, chunk_document, read_builtin
from corpus.chunking import split_sentences

SETTINGS = ChunkSettings()


@pytest.fixture(scope="module")
def pubmedqa():
    return list(read_builtin(sources=["pubmedqa"]))


@pytest.fixture(scope="module")
def long_doc():
    """The first evidence_inference abstract over three budgets long."""
    return next(
        doc
        for doc in read_builtin(sources=["evidence_inference"])
        if len(doc.text.split()) > 3 * SETTINGS.max_words
    )


def _budget(title: str) -> int:
    return max(SETTINGS.max_words - len(title.split()), SETTINGS.max_words // 2)


def _body_words(passage) -> int:
    body = passage.text.split("\n", 1)[1]
    return len(body.split()) - sum(len(label.split()) for label in passage.sections)


def test_short_abstract_is_one_passage_led_by_its_title(pubmedqa):
    doc = next(d for d in pubmedqa if len(d.text.split()) < SETTINGS.max_words // 2)
    [passage] = chunk_document(doc)
    assert passage.text.startswith(doc.title + "\n")
    assert passage.doc_id == doc.doc_id and passage.chunk == 0
    assert passage.sections == tuple(s.label for s in doc.sections if s.label)


def test_long_abstract_is_cut_into_windows_under_the_word_budget(long_doc):
    passages = chunk_document(long_doc)
    assert len(passages) >= 3
    assert [p.chunk for p in passages] == list(range(len(passages)))
    assert all(p.text.startswith(long_doc.title + "\n") for p in passages)
    assert all(_body_words(p) <= _budget(long_doc.title) for p in passages)


def test_consecutive_windows_overlap_by_whole_sentences(long_doc):
    """The next window repeats the previous one's last sentence unless that exceeds the overlap."""
    passages = chunk_document(long_doc)
    sentences = [s for sec in long_doc.sections for s in split_sentences(sec.text)]
    overlaps = 0
    for first, second in zip(passages, passages[1:], strict=False):
        last = [s for s in sentences if s in first.text][-1]
        if len(last.split()) <= SETTINGS.overlap_words:
            assert last in second.text
            overlaps += 1
    assert overlaps > 0


def test_every_sentence_appears_in_some_passage(pubmedqa, long_doc):
    for doc in [*islice(pubmedqa, 300), long_doc]:
        passages = chunk_document(doc)
        for section in doc.sections:
            for sentence in split_sentences(section.text):
                if len(sentence.split()) <= _budget(doc.title):
                    assert any(sentence in p.text for p in passages), (doc.doc_id, sentence)


def test_passages_carry_the_documents_metadata(pubmedqa):
    doc = pubmedqa[0]
    passage = chunk_document(doc)[0]
    assert (passage.pmid, passage.year, passage.mesh, passage.link) == (
        doc.pmid, doc.year, doc.mesh, f"https://pubmed.ncbi.nlm.nih.gov/{doc.pmid}/"
    )

"""Extractive evidence: quotes of the source sentences that best match the question."""

from __future__ import annotations

import pytest

from assistant.evidence import key_sentences, passage_sentences, quote
from corpus.chunking import chunk_document
from corpus.records import Passage

TRIAL = Passage(
    doc_id="1", chunk=0, pmid="1", title="Zinc for colds",
    text="Zinc for colds\nOBJECTIVE: We asked whether zinc lozenges shorten the common cold.\n"
         "CONCLUSIONS: Zinc lozenges shortened the common cold by about two days in adults.",
)
KNEE = Passage(
    doc_id="2", chunk=0, pmid="2", title="Knee surgery",
    text="Knee surgery\nRESULTS: Arthroscopic knee surgery did not reduce pain at one year.",
)


def test_passage_sentences_drop_the_title_and_keep_section_labels():
    assert passage_sentences(TRIAL) == [
        ("OBJECTIVE", "We asked whether zinc lozenges shorten the common cold."),
        ("CONCLUSIONS", "Zinc lozenges shortened the common cold by about two days in adults."),
    ]


def test_a_label_written_into_the_text_is_read_as_the_sentence_label():
    body = Passage(
        doc_id="3", chunk=0, pmid="3", title="Ankle position",
        text="Ankle position\n[Methods] Subjects were trained in knee extension at 70% of 1RM "
             "under three ankle conditions. CONCLUSIONS A 3-base pair deletion can produce "
             "disparate phenotypes in one family. DNA Analysis showed the deletion in all three.",
    )
    assert passage_sentences(body) == [
        ("METHODS", "Subjects were trained in knee extension at 70% of 1RM under three ankle "
                    "conditions."),
        ("CONCLUSIONS", "A 3-base pair deletion can produce disparate phenotypes in one family."),
        ("", "DNA Analysis showed the deletion in all three."),  # not a label: kept whole
    ]


def test_a_methods_sentence_labelled_in_brackets_is_never_quoted(embedder):
    body = Passage(
        doc_id="4", chunk=0, pmid="4", title="Strength training",
        text="Strength training\n[Methods] Subjects were trained isokinetically in knee "
             "extension and flexion at 70 or 80% of 1RM under three ankle conditions.",
    )
    q = embedder.encode(["Does ankle position change knee extension strength training?"])[0]
    assert key_sentences(q, [body], embedder.encode) == []


def test_the_finding_is_quoted_rather_than_the_aim(embedder):
    q = embedder.encode(["Do zinc lozenges shorten colds?"])[0]
    chosen = key_sentences(q, [TRIAL, KNEE], embedder.encode)
    assert chosen[0] == (1, "Zinc lozenges shortened the common cold by about two days in adults.")
    assert all(number != 2 for number, _ in chosen)


def test_nothing_similar_enough_means_no_quote(embedder):
    q = embedder.encode(["What is the boiling point of mercury?"])[0]
    assert key_sentences(q, [TRIAL, KNEE], embedder.encode) == []


def test_quotes_are_cited_by_source_number():
    text, citations = quote([(2, "Arthroscopic knee surgery did not reduce pain.")], [TRIAL, KNEE])
    assert text.endswith("[2]") and citations[0].citation_id == "2"


@pytest.fixture(scope="module")
def inheritance_page():
    """A real MedQuAD page: it opens with its question heading, "Is ... inherited?"."""
    from corpus.builtin import read_builtin

    doc = next(d for d in read_builtin(sources=["medquad"])
               if d.doc_id == "medquad:GARD_0000006_3")
    return chunk_document(doc)[0]


def test_a_question_heading_is_never_quoted(embedder, inheritance_page):
    question = "Is abdominal aortic aneurysm inherited?"
    chosen = key_sentences(embedder.encode([question])[0], [inheritance_page], embedder.encode)
    assert chosen
    assert all("?" not in sentence for _, sentence in chosen)
    assert "multifactorial condition" in chosen[0][1]


def test_aims_and_methods_are_never_quoted(embedder):
    trial = Passage(
        doc_id="5", chunk=0, pmid="5", title="Zinc lozenges",
        text="Zinc lozenges\nWe aimed to determine whether zinc lozenges shorten the common cold "
             "in adults.\nMETHODS: Adults with a common cold took zinc lozenges or placebo "
             "lozenges.\nA consecutive series of 84 adults with a common cold who took zinc "
             "lozenges between 1998 and 2010 was analysed.",
    )
    q = embedder.encode(["Do zinc lozenges shorten the common cold in adults?"])[0]
    assert key_sentences(q, [trial], embedder.encode) == []


def test_a_consumer_health_page_is_not_called_an_abstract(inheritance_page):
    text, _ = quote([(1, "Abdominal aortic aneurysm is thought to be a multifactorial condition.")],
                    [inheritance_page])
    assert "abstract" not in text.lower()
    assert text.startswith("The retrieved consumer-health pages say:")

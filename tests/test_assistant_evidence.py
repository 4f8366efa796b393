"""Extractive evidence: quotes of the source sentences that best match the question."""

from __future__ import annotations

from assistant.evidence import key_sentences, passage_sentences, quote
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

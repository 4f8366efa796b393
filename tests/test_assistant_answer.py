"""Answers from the real index and generator: citations point at retrieved passages."""

from __future__ import annotations

import json

import pytest

from assistant.records import DISCLAIMER
from retrieval.retriever import QueryError


@pytest.fixture(scope="module")
def pubmedqa_question(shared_data):
    with open(shared_data / "pubmedqa" / "questions_trainval.jsonl") as fh:
        return json.loads(fh.readline())


@pytest.fixture(scope="module")
def answer(assistant, pubmedqa_question):
    return assistant.answer(pubmedqa_question["question"])


def test_every_citation_points_at_a_retrieved_passage(answer):
    given = {p.citation_id for p in answer.passages}
    assert answer.passages
    assert all(c.citation_id in given for c in answer.citations)
    assert all(1 <= c.number <= len(answer.passages) for c in answer.citations)
    assert all(answer.passages[c.number - 1] == c.passage for c in answer.citations)


def test_the_source_abstract_is_among_the_passages_used(answer, pubmedqa_question):
    assert pubmedqa_question["pmid"] in {p.pmid for p in answer.passages}


def test_an_answer_either_cites_sources_or_abstains(answer):
    assert answer.abstained or answer.citations
    if not answer.abstained:
        assert any(f"PMID {pmid}" in answer.render() for pmid in answer.cited_ids)


def test_the_rendered_answer_carries_the_disclaimer(answer):
    assert DISCLAIMER in answer.render()


def test_an_empty_question_is_refused_with_what_to_do(assistant):
    with pytest.raises(QueryError, match="type a question"):
        assistant.answer("   ")


def test_a_huge_question_is_refused_with_the_limit(assistant):
    with pytest.raises(QueryError, match="under 2000"):
        assistant.answer("why " * 1000)


def test_a_constrained_choice_returns_one_of_the_options(assistant, pubmedqa_question):
    choice = assistant.choose(pubmedqa_question["question"], ["yes", "no", "maybe"])
    assert choice.label in ("yes", "no", "maybe")
    assert set(choice.scores) == {"yes", "no", "maybe"}

"""Retrieval finds the source abstract of real PubMedQA questions.

PubMedQA questions are their abstracts' titles, so this checks that the pipeline works end to
end (recall should be near 1.0), not which retriever is better; MedQuAD measures that (evals).
"""

from __future__ import annotations

import json

import pytest

N_QUESTIONS = 200


@pytest.fixture(scope="module")
def questions(shared_data):
    with open(shared_data / "pubmedqa" / "questions_trainval.jsonl") as fh:
        return [json.loads(line) for _, line in zip(range(N_QUESTIONS), fh, strict=False)]


def recall_at(retriever, questions, k, mode):
    hits = retriever.search_many([q["question"] for q in questions], k=k, mode=mode)
    found = [
        q["pmid"] in {h.passage.pmid for h in hs} for q, hs in zip(questions, hits, strict=True)
    ]
    return sum(found) / len(found)


@pytest.mark.parametrize(("mode", "floor"), [("hybrid", 0.95), ("dense", 0.9), ("bm25", 0.95)])
def test_source_abstract_is_in_the_top_five(retriever, questions, mode, floor):
    assert recall_at(retriever, questions, 5, mode) >= floor

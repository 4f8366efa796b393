"""Follow-up questions become standalone ones; questions that already stand alone pass unchanged.

Conversations are built from real questions (PubMedQA, MedQuAD, Evidence Inference); MedQuAD's
`focus` field names each question's topic, so a real follow-up is its question with the focus
replaced by "it".
"""

from __future__ import annotations

import json
import re
from collections import defaultdict

import pytest

from assistant.followup import standalone_question

METFORMIN = [("Does metformin reduce the risk of gestational diabetes?", "It may [1].")]
IBD_SCANS = [("Are 99mTc leukocyte scans useful in children suspected of having IBD?", "...")]
LYME = [("What are the symptoms of Lyme disease?", "Fever, rash and fatigue [1].")]


def read_questions(path) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh]


@pytest.mark.parametrize("follow_up, standalone", [
    ("what about children?",
     "Does metformin reduce the risk of gestational diabetes in children?"),
    ("Is it safe in pregnancy?", "Is metformin safe in pregnancy?"),
    ("and its side effects?", "The side effects of metformin?"),
    ("How does it interact with warfarin?", "How does metformin interact with warfarin?"),
    ("Is this drug safe for children?", "Is metformin safe for children?"),
    ("Dosage?", "Dosage of metformin?"),
    ("What about ibuprofen?", "Does ibuprofen reduce the risk of gestational diabetes?"),
    ("And during pregnancy?",
     "Does metformin reduce the risk of gestational diabetes during pregnancy?"),
])
def test_a_follow_up_carries_the_previous_topic(follow_up, standalone):
    assert standalone_question(METFORMIN, follow_up) == standalone


def test_another_population_replaces_the_one_asked_about():
    assert standalone_question(IBD_SCANS, "what about adults?") == (
        "Are 99mTc leukocyte scans useful in adults suspected of having IBD?")


def test_the_topic_is_the_key_noun_phrase_not_the_aspect_asked_about():
    assert standalone_question(LYME, "How is it treated?") == "How is Lyme disease treated?"


def test_a_chain_of_follow_ups_keeps_the_first_topic():
    history = [*LYME, ("How is it treated?", "With antibiotics [2].")]
    assert standalone_question(history, "and in children?") == (
        "How is Lyme disease treated in children?")


@pytest.mark.parametrize("question", [
    "Is it true that vitamin D prevents fractures?",  # "it" refers to nothing
    "Is it safe to take metformin with warfarin?",
    "Does aspirin help if I take it daily?",  # "it" is the question's own aspirin
    "And does metformin cause weight loss?",
    "How is gout diagnosed?",
    "Thanks!",
    "Why?",
])
def test_a_question_that_stands_alone_passes_unchanged(question):
    assert standalone_question(METFORMIN, question) == question


def test_without_history_nothing_is_rewritten():
    assert standalone_question([], "what about children?") == "what about children?"


def test_real_standalone_questions_pass_unchanged(shared_data):
    questions = [q["question"] for name in ("pubmedqa/questions_trainval.jsonl",
                                            "evidence_inference/questions_dev.jsonl")
                 for q in read_questions(shared_data / name)]
    assert len(questions) == 1548
    assert [q for q in questions if standalone_question(METFORMIN, q) != q] == []


def test_almost_no_real_medquad_question_is_taken_for_a_follow_up(shared_data):
    questions = [q["question"] for q in read_questions(shared_data / "medquad/questions_dev.jsonl")]
    rewritten = [q for q in questions if standalone_question(METFORMIN, q) != q]
    # the few are topic-less ("How to prevent ?") or "Do you have information about Pregnancy"
    assert len(rewritten) / len(questions) < 0.002


def test_real_medquad_follow_ups_recover_their_topic(shared_data):
    by_focus = defaultdict(list)
    for q in read_questions(shared_data / "medquad/questions_dev.jsonl"):
        by_focus[q["focus"]].append(q["question"])
    found = total = 0
    for focus, asked in by_focus.items():
        first, later = asked[0], [q for q in asked[1:] if focus.lower() in q.lower()]
        for question in later:
            follow_up = re.sub(re.escape(focus), "it", question, flags=re.IGNORECASE)
            rewritten = standalone_question([(first, "")], follow_up)
            found += focus.lower() in rewritten.lower()
            total += 1
    assert total > 8000
    assert found / total > 0.85  # the rest keep the head of a long name ("spinal muscular
    # atrophy" of "spinal muscular atrophy with progressive myoclonic epilepsy")

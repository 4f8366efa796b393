"""One decision for yes/no questions: which questions get a verdict, and drafts never state one."""

from __future__ import annotations

import pytest

from assistant.assistant import Assistant, is_verdict_label, without_polar_word
from assistant.evidence import passage_sentences
from assistant.records import verdict_text
from assistant.verdict import decide, is_effect_question, is_sure, is_yes_no_question


@pytest.mark.parametrize("question", [
    "Does metformin reduce the risk of gestational diabetes?",
    "Body dysmorphic disorder: does it have a psychotic subtype?",
    "PREVALENCE OF STREPTOCOCCUS AGALACTIAE IN PREGNANT WOMEN: IS CULTURE A DETERMINANT FACTOR?",
    "Atmospheric pressure and aneurysm rupture--is the diameter of the aneurysm important?",
])
def test_a_yes_no_question_is_recognised_after_a_title(question):
    assert is_yes_no_question(question)


@pytest.mark.parametrize("question", [
    "What are the symptoms of Lyme disease?",
    "Effect of zinc on the duration of colds: what do the trials show?",
    "How is cystic fibrosis inherited?",
])
def test_an_open_question_gets_no_verdict(question):
    assert not is_yes_no_question(question)


def test_the_drafts_own_yes_or_no_is_cut_so_only_the_rule_states_a_verdict():
    assert without_polar_word("Yes, metformin reduced HbA1c [1].") == "Metformin reduced HbA1c [1]."
    assert without_polar_word("No. Zinc did not shorten colds [2].") == \
        "Zinc did not shorten colds [2]."


def test_a_leading_no_that_negates_the_claim_is_kept():
    assert without_polar_word("No patients died in the zinc group [1].") == \
        "No patients died in the zinc group [1]."


def test_the_verdict_is_the_most_likely_label_and_maybe_is_unclear():
    assert decide({"yes": 0.5, "no": 0.3, "maybe": 0.2}) == "yes"
    assert decide({"yes": 0.2, "no": 0.5, "maybe": 0.3}) == "no"
    assert decide({"yes": 0.3, "no": 0.3, "maybe": 0.4}) == "unclear"


def test_a_verdict_is_stated_plainly_only_at_the_threshold():
    assert is_sure({"yes": 0.7, "no": 0.2, "maybe": 0.1}, threshold=0.65)
    assert not is_sure({"yes": 0.6, "no": 0.3, "maybe": 0.1}, threshold=0.65)
    assert not is_sure({"yes": 0.1, "no": 0.1, "maybe": 0.8}, threshold=0.65)


def test_a_lean_is_worded_as_one_and_names_its_source():
    assert verdict_text("yes", sure=True, source=1) == "Yes, according to [1]."
    assert verdict_text("no", sure=False, source=2).startswith("Probably no, according to [2];")
    assert verdict_text("unclear", sure=False) == "Unclear from the retrieved evidence."


@pytest.mark.parametrize("sentence", ["Yes.", "No.", "Unclear.", "No significant difference.",
                                      " increased. "])
def test_a_sentence_that_only_states_a_verdict_is_recognised(sentence):
    assert is_verdict_label(sentence)


def test_a_claim_opening_with_no_is_not_a_verdict_label():
    assert not is_verdict_label("No patients died in the zinc group [1].")


def test_the_drafts_verdict_sentence_is_passed_over_without_failing_the_draft(retriever):
    """The fine-tuned adapters open with "Yes." as trained: the check skips it (it neither shows
    it nor counts it as a failed claim), and the cited sentence after it is kept."""
    question = "Do mitochondria play a role in remodelling lace plant leaves?"
    passages = [h.passage for h in retriever.search(question, k=3)]
    claim = passage_sentences(passages[0])[1][1].rstrip(".") + " [1]."
    kept, dropped = [], []
    shown = list(Assistant._check(["Yes.", claim], passages, kept, dropped))
    assert len(shown) == 1 and shown[0].citations and not dropped


@pytest.mark.parametrize("question, expected", [
    ("In randomized trials, how does simple DT compared with complex DT affect processing speed?",
     True),
    ("What is the effect of metformin versus placebo on HbA1c?", True),
    ("Does metformin reduce HbA1c?", False),
    ("Effect of zinc on the duration of colds: what do the trials show?", False),
])
def test_a_trial_effect_question_names_a_comparison_and_an_effect(question, expected):
    assert is_effect_question(question) is expected


def test_an_effect_verdict_reads_as_the_direction_found():
    assert verdict_text("significantly decreased", sure=True, source=1) == \
        "Significantly decreased, according to [1]."
    assert verdict_text("no significant difference", sure=False, source=2).startswith(
        "Probably no significant difference, according to [2];")

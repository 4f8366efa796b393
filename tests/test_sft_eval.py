"""Scoring held-out drafts: verdict macro-F1 per task, alongside accuracy."""

from __future__ import annotations

import pytest

from assistant.sft_eval import Scored, macro_f1, summarize


def _scored(task: str, gold: str, said: str) -> Scored:
    return Scored(id=f"{task}-{gold}-{said}", task=task, kind="answer", gold_verdict=gold,
                  said_verdict=said, sentences=0, cited_ok=0, abstained=False, tokens=1,
                  seconds=1.0, draft="")


def test_macro_f1_averages_the_f1_of_each_verdict_label():
    gold = ["yes", "yes", "no", "unclear"]
    said = ["yes", "no", "no", "yes"]
    # yes: 1 hit, 2 gold, 2 said -> 0.5; no: 1 hit, 1 gold, 2 said -> 2/3; unclear: 0
    assert macro_f1(gold, said, ("yes", "no", "unclear")) == pytest.approx(
        round((0.5 + 2 / 3 + 0) / 3, 3))


def test_answering_the_majority_label_to_everything_scores_low_on_macro_f1():
    gold = ["yes"] * 6 + ["no"] * 2
    said = ["yes"] * 8
    assert macro_f1(gold, said, ("yes", "no", "unclear")) == pytest.approx(
        round((2 * 6 / 14 + 0) / 2, 3))


def test_a_missing_verdict_is_a_miss_but_no_labels_false_positive():
    assert macro_f1(["yes", "no"], ["yes", ""], ("yes", "no", "unclear")) == pytest.approx(
        round((1.0 + 0.0) / 2, 3))
    assert macro_f1([], [], ("yes", "no")) is None


def test_the_summary_reports_macro_f1_for_yes_no_and_trial_questions():
    scored = [_scored("yes_no", "yes", "yes"), _scored("yes_no", "no", "yes"),
              _scored("effect", "increased", "increased"),
              _scored("effect", "decreased", "")]
    summary = summarize(scored)
    assert summary["verdict_macro_f1_yes_no"] == macro_f1(["yes", "no"], ["yes", "yes"],
                                                          ("yes", "no", "unclear"))
    assert summary["verdict_macro_f1_effect"] == pytest.approx(0.5)


def test_abstention_precision_is_the_share_of_abstentions_whose_sources_did_not_answer():
    def draft(kind: str, abstained: bool) -> Scored:
        return Scored(id=f"{kind}{abstained}{id(object())}", task="open", kind=kind,
                      gold_verdict="", said_verdict="", sentences=0, cited_ok=0,
                      abstained=abstained, tokens=1, seconds=1.0, draft="")

    scored = [draft("abstain", True), draft("abstain", False), draft("answer", True),
              draft("answer", True), draft("answer", False)]
    summary = summarize(scored)
    assert summary["abstention_precision"] == pytest.approx(round(1 / 3, 3))
    assert summary["abstained_when_it_should"] == 0.5

"""The triage meaning layer: the shipped sign detector recognises signs in patients' own words and
leaves negated, past and relatives' mentions alone."""

from __future__ import annotations

import logging

import pytest

from assistant.triage import meaning
from assistant.triage.red_flags import evaluate


@pytest.fixture(scope="module")
def detector() -> meaning.SignDetector:
    return meaning.SignDetector.load()


def test_a_drooping_face_in_lay_words_signals_stroke_signs(detector):
    assert "stroke_signs" in detector.groups("her face looks droopy")


def test_poo_like_tar_signals_heavy_bleeding(detector):
    assert "heavy_bleeding" in detector.groups("my poo is like tar")


def test_saving_up_pills_to_end_it_signals_suicidal(detector):
    assert "suicidal" in detector.groups("ive been saving up my pills to end it")


def test_a_misspelt_breathing_problem_still_fires(detector):
    assert detector.groups("cant breath propely") & {"breathless", "breathing_severe"}


def test_a_negated_sign_does_not_fire(detector):
    assert "chest_pain" not in detector.groups("no chest pain at all")


def test_a_past_event_does_not_fire(detector):
    assert not detector.groups("had a heart attack ten years ago") & {
        "suspected_emergency_words", "chest_pain", "cardiac_feature"}


def test_a_relatives_condition_does_not_fire(detector):
    assert "chest_pain" not in detector.groups("my dad gets angina")


def test_a_match_names_its_clause_and_nearest_bank_phrasing(detector):
    match = next(m for m in detector.detect("I'm fine mostly. Her face looks droopy")
                 if m.group == "stroke_signs")
    assert match.clause == "her face looks droopy"
    assert match.example in {line.text for line in detector.bank.lines}


def test_groups_found_by_meaning_make_the_rule_book_escalate(detector):
    text = "his words are coming out all wrong"  # no rule pattern reads this
    assert not evaluate(text)
    hits = evaluate(text, extra=detector.groups(text))
    assert hits[0].level == "emergency"


def test_clauses_break_at_sentences_contrasts_and_new_subjects():
    assert meaning.split_clauses("No fever, but my chest hurts. He's pale and his lips are blue") \
        == ("no fever", "my chest hurts", "he's pale", "his lips are blue")


def test_a_negated_list_stays_in_one_clause():
    assert meaning.split_clauses("denies fevers, chills, or weight loss") == (
        "denies fevers, chills, or weight loss",)


def test_only_groups_that_urgent_or_emergency_rules_use_can_be_added():
    levels = meaning.signal_levels()
    assert levels["stroke_signs"] == "emergency"
    assert "improving" not in levels  # a self-care signal could lower a level


def test_bank_lines_of_unknown_groups_are_ignored_with_a_warning(caplog):
    lines = [meaning.BankLine("stroke_signs", "face drooping", 1, "lay"),
             meaning.BankLine("no_such_group", "anything", 1, "lay")]
    with caplog.at_level(logging.WARNING, logger="assistant.triage.meaning"):
        kept = meaning.select_lines(lines, meaning.signal_levels())
    assert [line.group for line in kept] == ["stroke_signs"]
    assert "no_such_group" in caplog.text


def test_a_malformed_bank_line_is_skipped():
    lines = meaning.parse_bank_lines(['{"group": "seizure", "text": "fitting", "label": 1}',
                                      '{"group": "seizure", "text": "half a li'])
    assert [line.text for line in lines] == ["fitting"]

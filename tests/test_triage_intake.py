"""Intake state: facts extracted from patient words, and the next one or two questions."""

from __future__ import annotations

import pytest

from assistant.triage import IntakeState, next_questions, update_state
from assistant.triage.facts import age_years, duration_days, pregnant, severity, sex
from assistant.triage.questions import QUESTIONS, missing_fields


@pytest.mark.parametrize(
    ("text", "years"),
    [("a 4-year-old boy", 4.0), ("my 6 week old", 6 / 52), ("I'm 34", 34.0), ("aged 70", 70.0)],
)
def test_age_is_read_from_common_phrasings(text, years):
    assert age_years(text) == pytest.approx(years, abs=0.01)


def test_weeks_pregnant_is_not_read_as_an_age():
    assert age_years("I'm 34 weeks pregnant") is None


@pytest.mark.parametrize(
    ("text", "days"),
    [("a 7-day history of pain", 7), ("for the past 3 weeks", 21), ("since yesterday", 1),
     ("started 2 days ago", 2), ("for several days", 3)],
)
def test_duration_is_read_in_days(text, days):
    assert duration_days(text) == days


def test_pregnancy_denied_is_false_not_unknown():
    assert pregnant("I'm not pregnant") is False


def test_sex_comes_from_a_sex_specific_noun():
    assert sex("A 40-year-old woman calls") == "female"


def test_severity_score_is_kept_as_out_of_ten():
    assert severity("it's about 7/10") == "7/10"


def test_first_question_is_the_main_problem():
    assert [name for name, _ in next_questions(IntakeState())] == ["chief_complaint"]


def test_warning_signs_are_asked_straight_after_the_complaint():
    state = update_state(IntakeState(asked=("chief_complaint",)), "I have a sore throat")
    assert [name for name, _ in next_questions(state)] == ["red_flags"]


def test_never_more_than_two_questions_at_once():
    state = IntakeState(chief_complaint="cough", warning_signs_answer=False)
    while (questions := next_questions(state)):
        assert len(questions) <= 2
        state = IntakeState(**{**state.__dict__, "unknown": state.unknown | {
            name for name, _ in questions}})


def test_pregnancy_is_not_asked_of_a_man():
    state = IntakeState(sex="male", age_years=30)
    assert "pregnancy" not in missing_fields(state)


def test_a_short_no_answers_the_pending_list_questions():
    state = IntakeState(chief_complaint="cough", asked=("chronic_conditions", "medicines"))
    state = update_state(state, "no")
    assert (state.chronic_conditions, state.medicines) == ((), ())


def test_allergies_are_read_from_allergic_to():
    assert update_state(IntakeState(), "I'm allergic to penicillin").allergies == ("penicillin",)


DIAGNOSIS_WORDS = ("stroke", "heart attack", "meningitis", "sepsis", "anaphylaxis",
                   "infection", "cancer", "flu")


def test_questions_are_plain_language_without_diagnoses():
    for question in QUESTIONS.values():
        assert question.endswith("?") or question.endswith("no.")
        assert not any(word in question.lower() for word in DIAGNOSIS_WORDS)


@pytest.mark.parametrize(
    ("text", "days"),
    [("I had a heart attack 10 years ago and my chest has hurt since yesterday", 1),
     ("I've had diabetes for 10 years and a cough for 3 days", 3),
     ("heart attack 10 years ago", None),
     ("had a clot 10 years ago, now my calf hurts since yesterday", 1),
     ("had a fall 2 days ago and my wrist hurts", 2),
     ("I had a fever for 3 days", 3)],
)
def test_a_duration_belongs_to_the_current_complaint_not_a_past_event(text, days):
    assert duration_days(text) == days


@pytest.mark.parametrize(
    "reply",
    ["it kind of moves around and I can't really say", "I don't know",
     "well it's hard to describe, it just comes and goes"],
)
def test_location_is_never_a_sentence(reply):
    state = update_state(IntakeState(chief_complaint="pain", asked=("location",)), reply)
    assert state.location is None


def test_location_is_the_body_part_named_in_a_free_answer():
    state = IntakeState(chief_complaint="pain", asked=("location",))
    assert update_state(state, "mostly in my lower back really").location == "lower back"


@pytest.mark.parametrize(("reply", "years"), [("he's 2", 2.0), ("18 months", 1.5), ("34", 34.0)])
def test_a_bare_answer_to_how_old_is_read_as_an_age(reply, years):
    state = update_state(IntakeState(chief_complaint="fever", asked=("age",)), reply)
    assert state.age_years == pytest.approx(years)


def test_questions_about_a_child_are_put_to_the_parent():
    state = update_state(IntakeState(asked=("chief_complaint",)), "my son has had a cough")
    assert next_questions(state) == [("age", "How old is your child?")]


def test_a_reply_that_answers_no_warning_sign_question_leaves_it_unanswered():
    state = IntakeState(chief_complaint="headache", families=("headache",),
                        asked=("screen:headache_sudden_or_worst",))
    assert update_state(state, "it's on the left side").screens == ()


@pytest.mark.parametrize("text", ["im 36 weeks and the baby has been quiet today",
                                  "32 weeks, baby is normally wriggly in the evenings"])
def test_weeks_along_is_read_as_pregnancy(text):
    assert pregnant(text) is True


def test_weeks_of_a_symptom_are_not_read_as_pregnancy():
    assert pregnant("I'm 2 weeks into a course of antibiotics") is None

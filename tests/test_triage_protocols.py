"""Complaint protocols: reviewed data, which family a story belongs to, which warning-sign
questions it gets, and how a free yes/no answer is read."""

from __future__ import annotations

import re

import pytest

from assistant.triage import default_protocols, default_rulebook, detect_families
from assistant.triage.answers import answers_to, read_answer
from assistant.triage.protocols import (
    MAX_SCREENS,
    parse_protocols,
    screen_hits,
    story_screens,
)
from assistant.triage.questions import CHILD_QUESTIONS, QUESTIONS

BOOK = default_protocols()
DIAGNOSIS = re.compile(r"\b(?:stroke|heart attack|meningitis|sepsis|anaphylaxis|infection|cancer|"
                       r"flu|cold|appendicitis|pre-eclampsia|overdose)\b")


def all_questions() -> list[str]:
    screens = [q for s in BOOK.screens.values() for q in (s.ask, s.ask_child)]
    return [*screens, *QUESTIONS.values(), *CHILD_QUESTIONS.values()]


def test_every_screen_names_a_source_and_asks_a_yes_no_question():
    for screen in BOOK.screens.values():
        assert screen.source and screen.reason
        assert screen.ask.endswith("?") and screen.ask_child.endswith("?")


def test_no_question_names_a_diagnosis():
    assert not [q for q in all_questions() if DIAGNOSIS.search(q.lower())]


def test_rules_that_explain_a_family_exist_in_the_rule_book():
    rule_ids = {r.id for r in default_rulebook().rules}
    named = {i for f in BOOK.families for i in f.covered_by if i != "*"}
    assert named <= rule_ids


@pytest.mark.parametrize(
    ("text", "family", "is_child", "pregnant"),
    [
        ("I have a pain in my chest", "chest", None, None),
        ("I'm short of breath", "breathing", None, None),
        ("I have a bad headache", "headache", None, None),
        ("my left arm feels numb", "neuro", None, None),
        ("I have stomach pain", "abdomen", None, None),
        ("I'm bleeding from a cut", "bleeding", None, None),
        ("my ankles are swollen", "leg_swelling", None, None),
        ("my son has a fever", "child_fever", True, None),
        ("I have a rash on my arm", "rash", None, None),
        ("I'm 12 weeks pregnant", "pregnancy", None, True),
        ("I've been feeling really low", "mental_health", None, None),
        ("I fell off my bike", "injury", None, None),
        ("it burns when I pee", "urinary", None, None),
        ("I think I'm having an allergic reaction", "allergy", None, None),
        ("I took too many tablets", "poisoning", None, None),
        ("I fainted at work and went very pale", "collapse", None, None),
    ],
)
def test_each_complaint_family_is_recognised_from_a_patients_words(
    text, family, is_child, pregnant
):
    assert family in detect_families(text, is_child, pregnant)


def test_every_family_in_the_protocols_has_a_detection_test():
    assert len(BOOK.families) == 16


def test_a_denied_complaint_starts_no_protocol():
    assert "chest" not in detect_families("no chest pain, just a sore throat")


def test_breathing_said_to_be_normal_starts_no_breathing_protocol():
    # the answer to a screen ("breathing totally normal") is reassurance, not a complaint
    assert "breathing" not in detect_families("no swelling on her lips, breathing totally normal")
    assert "breathing" in detect_families("my breathing is totally wrong since this morning")


def test_families_keep_the_order_the_patient_mentioned_them():
    assert detect_families("I'm short of breath and my chest hurts") == ("breathing", "chest")


def test_emergency_screens_come_first_and_a_story_gets_a_bounded_number():
    screens = story_screens(("headache", "chest", "breathing"), False, 40)
    levels = [s.level for s in screens]
    assert len(screens) == MAX_SCREENS and levels == sorted(levels, key=lambda x: x != "emergency")


def test_self_harm_questions_are_not_put_about_a_young_child():
    screens = story_screens(("mental_health",), True, 2)
    assert not [s for s in screens if s.crisis]


def test_a_yes_to_an_emergency_screen_escalates_with_that_screens_reason():
    [hit] = screen_hits({"chest_faint": "yes"})
    assert (hit.level, hit.reason) == ("emergency", BOOK.screens["chest_faint"].reason)


def test_unsure_to_an_emergency_screen_means_a_clinician_today():
    [hit] = screen_hits({"chest_faint": "unsure"})
    assert hit.level == "urgent"


def test_protocols_may_not_let_unsure_reassure_an_emergency_screen():
    data = {"family": [{
        "id": "f", "name": "f", "dangerous": True, "detect": ["x"], "reason": "r", "source": "s",
        "screen": [{"id": "s1", "level": "emergency", "unsure_level": "routine", "ask": "q?",
                    "keywords": ["x"], "reason": "r", "source": "s"}],
    }]}
    with pytest.raises(ValueError):
        parse_protocols(data)


@pytest.mark.parametrize(
    ("reply", "answer"),
    [("well yes, the chest pain", "yes"), ("a bit", "yes"), ("not really", "no"),
     ("i dont know", "unsure"), ("yes the chest pain", "yes"), ("kind of", "yes"),
     ("I have no idea", "unsure"), ("nope, nothing like that", "no"), ("maybe", "unsure"),
     ("i don't think so", "no"), ("it's on the left side", None)],
)
def test_free_answers_to_a_yes_no_question_are_read(reply, answer):
    assert read_answer(reply) == answer


def test_a_no_inside_a_long_story_is_not_taken_as_the_answer():
    reply = "well it started on monday after work and by the evening there was no way I could eat"
    assert read_answer(reply) is None


def test_words_naming_a_sign_settle_the_question_about_it():
    questions = {q: s.keywords for q, s in BOOK.screens.items() if q in
                 ("chest_spreading_or_sweating", "chest_faint")}
    got = answers_to("no, but I do feel sweaty", questions)
    assert got == {"chest_spreading_or_sweating": "yes", "chest_faint": "no"}


def test_two_answers_to_two_questions_are_taken_in_order():
    questions = {q: BOOK.screens[q].keywords for q in ("chest_faint", "chest_heavy_or_sudden")}
    assert answers_to("no, yes", questions) == {"chest_faint": "no", "chest_heavy_or_sudden": "yes"}


def test_a_new_symptom_mentioned_in_passing_is_not_a_yes():
    questions = {q: BOOK.screens[q].keywords for q in ("chest_spreading_or_sweating",)}
    assert answers_to("I also have a rash on my arms", questions) == {}


@pytest.mark.parametrize(
    ("text", "family"),
    [("eyes itching and sneezing, breathing fine", "breathing"),
     ("feel a tingly cold sore coming on my lip", "neuro")],
)
def test_a_reassuring_or_unrelated_mention_starts_no_dangerous_protocol(text, family):
    assert family not in detect_families(text)

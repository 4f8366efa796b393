"""Harmless stories with alarming words stay calm; lay wording of real emergencies still fires.

One behaviour per test. The texts are written for these tests (not taken from any test batch).
"""

from __future__ import annotations

import pytest

from assistant.triage import assess, facts
from assistant.triage.red_flags import evaluate, find_terms


def fired(text: str) -> set[str]:
    return {h.rule_id for h in evaluate(text)}


# ---- alarming words in a harmless context --------------------------------------------------


def test_eye_drops_are_a_medicine_not_a_drooping_eye():
    assert "stroke_signs" not in find_terms("gritty eyes from the laptop, eye drops?").present


def test_overdosing_on_coffee_is_not_an_overdose():
    assert "poisoning" not in find_terms("overdosed on coffee before my exam, bit jittery").present


def test_an_up_to_date_tetanus_vaccination_is_not_a_tetanus_sign():
    text = "grazed my knee, my tetanus jabs are up to date"
    assert "tetanus_signs" not in find_terms(text).present


def test_drooling_while_teething_is_not_an_obstructed_airway():
    text = "my 7 month old is drooling loads and chewing on everything"
    assert "throat_airway_obstruction" not in fired(text)


def test_a_lip_swollen_where_it_was_bitten_is_not_airway_swelling():
    assert "airway_swelling" not in fired("my lip is a bit swollen where i bit it at lunch")


def test_a_swollen_lip_after_eating_nuts_is_still_airway_swelling():
    assert "airway_swelling" in fired("my lips are swollen after eating cashews")


def test_a_denied_pause_in_breathing_is_negated():
    text = "he snores really loudly but its not him stopping breathing, just noise"
    assert "breathing_severe" not in find_terms(text).present


def test_no_longer_having_a_fever_negates_the_fever():
    assert "fever" not in find_terms("she no longer has a fever").present


def test_a_nosebleed_that_stopped_with_pinching_is_not_heavy_bleeding():
    text = "his nose was pouring blood at school, they pinched it and it stopped after 10 minutes"
    assert "heavy_bleeding" not in fired(text)


def test_bleeding_that_has_not_stopped_is_still_heavy_bleeding():
    assert "heavy_bleeding" in fired("blood is pouring out of the cut and it hasnt stopped")


def test_a_small_bleed_that_stopped_can_be_looked_after_at_home():
    result = assess("cut my finger on a tin, it bled a lot but stopped after i pressed on it for "
                    "5 mins. small shallow cut, feel fine")
    assert result.level == "self-care"


def test_feeling_a_bit_paranoid_is_worry_not_a_mental_health_sign():
    assert "mental_health" not in find_terms("dad had a heart attack so im a bit paranoid").present


def test_exam_stress_and_a_few_bad_nights_is_not_a_mental_health_referral():
    assert "mental_health_concern" not in fired("stressed about exams and cant sleep for 3 nights")


def test_hopelessness_is_still_a_mental_health_sign():
    assert "mental_health_concern" in fired("i feel hopeless and cant cope any more")


def test_aching_muscles_after_the_gym_are_not_severe_pain():
    assert "severe_pain" not in fired("my legs are in agony after my first leg day at the gym")


def test_a_child_happily_drinking_loads_is_not_a_diabetes_sign():
    assert "new_diabetes_signs" not in fired("he has chickenpox but hes happy and drinking loads")


def test_drinking_loads_and_weeing_all_the_time_is_a_diabetes_sign():
    assert "new_diabetes_signs" in fired("shes drinking loads and weeing all the time, lost weight")


def test_negative_ketones_are_reassurance_not_a_diabetic_crisis():
    assert "diabetic_crisis" not in fired("type 1 with a cold, ketones negative, eating fine")


def test_a_bite_that_left_a_lump_is_not_a_new_lump_referral():
    assert "new_lump" not in fired("bitten by something in the garden, its a big itchy red lump")


def test_a_first_session_in_years_is_not_a_duration():
    assert facts.duration_days("aching thighs after my first gym session in years") is None


# ---- lay wording of emergencies ------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("suicidal_thoughts", "i have the tablets saved up and tonight feels like the right time"),
        ("suicidal_thoughts", "ive been collecting pills for weeks"),
        ("poisoning_or_overdose", "took about 20 paracetamol last night, feel fine now"),
        ("poisoning_or_overdose", "my toddler had the bottle open and several tablets are missing"),
        ("poisoning_or_overdose", "found an empty packet of paracetamol in his room, feels fine"),
        ("poisoning_or_overdose", "took a load of my mums sleeping pills an hour ago"),
        ("sudden_vision_loss", "got oven cleaner splashed in my eye 5 minutes ago"),
        ("heavy_bleeding", "keep pooing what looks like black tar"),
        ("heavy_bleeding", "gave birth last week, soaking a maternity pad every half an hour"),
        ("airway_swelling", "my throat feels like its closing"),
        ("airway_swelling", "my tongue is getting bigger after the new antibiotic"),
        ("tearing_pain", "a ripping pain going through to my back, came on 20 mins ago"),
        ("cold_pale_limb_sudden", "my leg has gone suddenly cold, white and painful"),
        ("late_period_pain_faint", "period is late, bad pain low down and i nearly passed out"),
        ("bowel_obstruction_signs", "havent pooed or even farted for 3 days and keep throwing up"),
        ("sudden_double_vision", "suddenly seeing double and the room is spinning"),
        ("pregnancy_warning_signs", "im 36 weeks and the baby has been really quiet today"),
        ("throat_airway_obstruction", "a high squeaky noise when he breathes in even when calm"),
    ],
)
def test_lay_wording_of_an_emergency_fires_its_rule(rule_id, text):
    result = assess(text)
    assert result.level == "emergency"
    assert rule_id in result.red_flags


def test_tablets_saved_up_is_a_crisis():
    assert assess("i have the tablets saved up, tonight is the night").crisis


def test_twenty_paracetamol_after_a_row_is_a_crisis():
    assert assess("took about 20 paracetamol last night after a row").crisis

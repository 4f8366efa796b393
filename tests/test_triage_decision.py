"""Triage decision: rules first, a meaning layer or a model may only raise the level, and no
signal is never reassurance."""

from __future__ import annotations

import pytest

from assistant.triage import IntakeState, TriageResult, assess, default_rulebook
from assistant.triage.decision import combine, decide_from_rules
from assistant.triage.red_flags import RuleHit


def rules_result(level: str, confident: bool = True) -> TriageResult:
    return TriageResult(level, ["because"], [], "rules", confident)


def test_most_urgent_rule_decides_the_level():
    hits = [RuleHit("a", "self-care", "mild"), RuleHit("b", "urgent", "fever 5 days")]
    assert decide_from_rules(hits, IntakeState()).level == "urgent"


def test_no_signal_gives_an_unconfident_routine_appointment():
    result = assess("I feel a bit odd")
    assert (result.level, result.confident) == ("routine", False)


def test_self_care_is_raised_to_routine_in_pregnancy():
    assert assess("I'm pregnant and have a runny nose and sneezing").level == "routine"


def test_confident_model_raises_the_level():
    assert combine(rules_result("routine"), "urgent", model_confident=True).level == "urgent"


def test_model_never_lowers_the_level():
    assert combine(rules_result("urgent"), "self-care", model_confident=True).level == "urgent"


def test_unconfident_model_does_not_override_confident_rules():
    assert combine(rules_result("self-care"), "urgent", model_confident=False).level == "self-care"


def test_when_neither_is_confident_the_more_cautious_level_wins():
    unsure = rules_result("routine", confident=False)
    assert combine(unsure, "urgent", model_confident=False).level == "urgent"


def test_combined_result_names_its_source():
    assert combine(rules_result("routine"), "routine", True).source == "rules+model"


class FixedScorer:
    """A tiny deterministic implementation of the generator's score_options protocol."""

    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.prompts: list[str] = []

    def score_options(self, prompt: str, options: list[str]) -> dict[str, float]:
        self.prompts.append(prompt)
        return {o: self.scores[o.strip()] for o in options}


def test_assess_consults_a_model_through_score_options_and_lets_it_raise_only():
    model = FixedScorer({"emergency": -9.0, "urgent": -0.1, "routine": -4.0, "self-care": -6.0})
    result = assess("I feel a bit odd", model=model)
    assert (result.level, result.source) == ("urgent", "rules+model")
    assert "I feel a bit odd" in model.prompts[0]


def test_a_dangerous_system_story_that_no_rule_explains_is_urgent_and_unconfident():
    result = decide_from_rules([], IntakeState(families=("chest",)))
    assert (result.level, result.confident) == ("urgent", False)


def test_an_unrecognised_chest_story_is_assessed_as_speak_to_a_clinician_today():
    assert assess("my chest feels funny").level == "urgent"


@pytest.mark.parametrize(
    "text",
    ["my chest feels funny but it's settling now", "I've got a tummy bug and my chest feels weird"],
)
def test_a_self_care_word_does_not_lower_an_unrecognised_dangerous_story(text):
    assert assess(text).level == "urgent"


def test_a_self_care_rule_that_explains_the_story_still_allows_self_care():
    assert assess("I have a mild headache").level == "self-care"


def test_a_sudden_severe_onset_outweighs_a_self_care_signal():
    state = IntakeState(onset="sudden", severity="severe", families=("headache",))
    hits = [RuleHit("simple_headache", "self-care", "A headache without warning signs")]
    assert decide_from_rules(hits, state).level == "urgent"


@pytest.mark.parametrize(
    "text",
    ["I'm 80 and have a runny nose", "I'm on chemotherapy and have a sore throat",
     "she lives in a care home and has a cold", "I'm diabetic and just feel unwell and off"],
)
def test_high_risk_context_rules_out_self_care(text):
    assert assess(text).level != "self-care"


def test_diabetes_does_not_rule_out_self_care_for_a_recognised_minor_complaint():
    # issue 17: diabetes is a concern with atypical (unexplained) symptoms, not with a cold
    assert assess("I have diabetes and a sore throat and runny nose since yesterday"
                  ).level == "self-care"


def test_a_story_about_a_baby_that_no_rule_explains_is_urgent():
    assert assess("my baby is not himself today").level == "urgent"


def test_a_yes_to_an_emergency_screen_escalates_with_that_screens_reason():
    state = IntakeState(families=("headache",), screens=(("headache_neuro", "yes"),))
    result = decide_from_rules([], state)
    assert result.level == "emergency"
    assert result.red_flags == ["screen:headache_neuro"]


def test_dont_know_to_an_emergency_screen_is_not_reassurance():
    state = IntakeState(families=("headache",), screens=(("headache_neuro", "unsure"),))
    hits = [RuleHit("simple_headache", "self-care", "A headache without warning signs")]
    assert decide_from_rules(hits, state).level == "urgent"


def test_suicidal_language_marks_a_crisis():
    result = assess("I want to kill myself")
    assert (result.level, result.crisis) == ("emergency", True)


def test_a_toddler_swallowing_bleach_is_an_emergency_but_not_a_mental_health_crisis():
    result = assess("my toddler swallowed bleach")
    assert (result.level, result.crisis) == ("emergency", False)


class FixedSigns:
    """A tiny deterministic meaning layer: always recognises the same term groups."""

    def __init__(self, groups: set[str]) -> None:
        self.found = frozenset(groups)

    def groups(self, text: str) -> frozenset[str]:
        return self.found


def emergency_reason_for(group: str) -> str:
    return next(r.reason for r in default_rulebook().rules
                if r.all == (group,) and r.level == "emergency")


def test_the_meaning_layer_raises_the_level_with_the_rule_books_reason():
    result = assess("I feel a bit odd", signs=FixedSigns({"suicidal"}))
    assert (result.level, result.source, result.crisis) == ("emergency", "rules+meaning", True)
    assert emergency_reason_for("suicidal") in result.reasons


def test_the_meaning_layer_cannot_lower_the_level():
    result = assess("crushing chest pain and I'm sweating", signs=FixedSigns({"improving"}))
    assert (result.level, result.source) == ("emergency", "rules")


def test_the_meaning_layer_adds_no_self_care_or_routine_signal():
    result = assess("I feel a bit odd", signs=FixedSigns({"cold_like", "improving"}))
    assert (result.level, result.source) == ("routine", "rules")


class BrokenSigns:
    def groups(self, text: str) -> frozenset[str]:
        raise RuntimeError("no model")


def test_a_failing_meaning_layer_is_ignored():
    assert assess("I feel a bit odd", signs=BrokenSigns()).level == "routine"


def test_a_numeric_severity_answer_is_read_by_the_rule_book():
    state = IntakeState(chief_complaint="sore throat", severity="9/10")
    assert assess("I have a sore throat\nno\n9", state).level == "urgent"


@pytest.mark.parametrize(
    "text",
    ["on methotrexate for my arthritis and I have a sore throat",
     "on warfarin and I've had a nosebleed that stopped, also bruising easily",
     "type 2 on insulin and I've got a cold"],
)
def test_medicines_that_raise_the_risk_rule_out_self_care(text):
    assert assess(text).level != "self-care"


def test_a_grey_clammy_story_with_a_self_care_word_is_not_self_care():
    assert assess("she has indigestion and has gone a grey colour and clammy").level != "self-care"

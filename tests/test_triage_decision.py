"""Triage decision: rules first, a model may only raise the level, caution when unsure."""

from __future__ import annotations

from assistant.triage import IntakeState, TriageResult, assess
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

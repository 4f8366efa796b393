"""The triage decision: level of care and plain-language reasons, from rules and optionally a model.

Rules decide first. A model may only raise the level, never lower it, and only when it is
confident; when neither side is confident the more cautious level wins. With no signals at all
the answer is a routine GP appointment, not self-care: silence is not reassurance.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

from assistant.triage.intake import IntakeState, state_from_text
from assistant.triage.levels import LEVELS, most_urgent, rank
from assistant.triage.red_flags import Context, RuleHit, evaluate

log = logging.getLogger(__name__)

MODEL_CONFIDENCE = 0.6  # softmax probability the model's top level needs to count as confident
NO_SIGNAL_REASON = (
    "No specific warning signs were found, but there is not enough information to recommend "
    "self-care, so a routine appointment is the safe choice"
)
WARNING_SIGN_REASON = "You answered yes when asked about emergency warning signs"
HIGH_RISK_REASON = (
    "Self-care is not advised on its own for babies under 3 months, in pregnancy or with a "
    "weakened immune system"
)
MODEL_REASON = "An additional automated check suggested a higher level of care"
MODEL_OPTIONS = tuple(LEVELS)


@dataclass(frozen=True)
class TriageResult:
    """A level of care, why, which rules fired, and whether the call is a confident one."""

    level: str
    reasons: list[str]
    red_flags: list[str]
    source: str = "rules"
    confident: bool = True

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "red_flags": list(self.red_flags),
            "source": self.source,
            "confident": self.confident,
        }


def context_for(state: IntakeState) -> Context:
    """The facts that rule conditions use, taken from the intake state."""
    return Context(
        age_years=state.age_years,
        is_child=state.is_child,
        pregnant=state.pregnant,
        duration_days=state.duration_days,
    )


def _high_risk(state: IntakeState) -> bool:
    infant = state.age_years is not None and state.age_years < 0.25
    immune = "weakened immune system" in (state.chronic_conditions or ())
    return bool(infant or state.pregnant or immune)


def decide_from_rules(hits: list[RuleHit], state: IntakeState) -> TriageResult:
    """Combine the rule hits: the most urgent level wins; no hits gives an unconfident routine."""
    if state.warning_signs_answer:
        hits = [RuleHit("warning_signs_reported", "emergency", WARNING_SIGN_REASON), *hits]
    if not hits:
        return TriageResult("routine", [NO_SIGNAL_REASON], [], "rules", confident=False)
    level = most_urgent(*(h.level for h in hits))
    reasons = list(dict.fromkeys(h.reason for h in hits if h.level == level))
    if level == "self-care" and _high_risk(state):
        level, reasons = "routine", [HIGH_RISK_REASON, *reasons]
    red_flags = [h.rule_id for h in hits if h.level == "emergency"]
    return TriageResult(level, reasons, red_flags, "rules", confident=True)


def model_prompt(text: str) -> str:
    """The question put to the model; the answer options are the four levels."""
    return (
        "You are a triage nurse. Read the patient's description and choose the level of care.\n"
        f"Description: {text.strip()}\n"
        "Levels: emergency (call an ambulance now), urgent (see a clinician today), routine "
        "(book a GP appointment), self-care (look after it at home).\n"
        "Level:"
    )


def model_opinion(model: object, text: str) -> tuple[str, float] | None:
    """The model's most likely level and its probability, or None if it cannot answer."""
    try:
        scores = model.score_options(model_prompt(text), [f" {o}" for o in MODEL_OPTIONS])
        values = [float(scores[f" {o}"]) for o in MODEL_OPTIONS]
    except Exception as exc:  # a failing model must never block triage
        log.warning("triage model unavailable (%s); using rules only", type(exc).__name__)
        return None
    top = max(values)
    weights = [math.exp(v - top) for v in values]
    best = max(range(len(values)), key=values.__getitem__)
    return MODEL_OPTIONS[best], weights[best] / sum(weights)


def combine(rules: TriageResult, model_level: str, model_confident: bool) -> TriageResult:
    """Rules and model together: the model can raise the level, never lower it."""
    combined = replace(rules, source="rules+model")
    if rank(model_level) <= rank(rules.level):
        return combined
    if model_confident or not rules.confident:
        return replace(
            combined,
            level=model_level,
            reasons=[*rules.reasons, MODEL_REASON],
            confident=model_confident,
        )
    return combined


def decide(
    text: str, state: IntakeState, model: object | None = None
) -> TriageResult:
    """Triage `text` given what the intake already knows; consult `model` only if given."""
    hits = evaluate(text, context_for(state))
    result = decide_from_rules(hits, state)
    if hits:
        log.info("triage rules fired: %s", ",".join(h.rule_id for h in hits))
    if model is None or result.level == "emergency":
        return result
    opinion = model_opinion(model, text)
    if opinion is None:
        return result
    model_level, probability = opinion
    return combine(result, model_level, probability >= MODEL_CONFIDENCE)


def assess(
    text: str, state: IntakeState | None = None, model: object | None = None
) -> TriageResult:
    """Triage a free-text case description (a patient's story or a clinical vignette).

    Facts found in the text (age, pregnancy, duration) fill whatever `state` does not already
    know. `model`, if given, is anything with `score_options(prompt, options) -> dict`.
    """
    from_text = state_from_text(text)
    if state is not None:
        known = {
            name: getattr(state, name)
            for name in ("age_years", "is_child", "pregnant", "duration_days",
                         "chronic_conditions", "warning_signs_answer")
            if getattr(state, name) is not None
        }
        from_text = replace(from_text, **known)
    return decide(text, from_text, model)

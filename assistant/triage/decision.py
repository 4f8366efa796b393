"""The triage decision: level of care and plain-language reasons, from the rules, the answers to
warning-sign questions, and optionally a meaning layer and a model.

Rules decide first. A meaning layer (`signs`) and a model may only raise the level, never lower
it. No signal is never reassurance: with nothing matched the answer is a routine appointment, or
"speak to a clinician today" when the story is about a dangerous body system; self-care needs a
positive self-care picture and nothing concerning. Crisis language (suicidal intent, self-harm,
an overdose) marks the result as a crisis, whatever else was said.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, replace

from assistant.triage import facts
from assistant.triage.intake import IntakeState, state_from_text
from assistant.triage.levels import LEVELS, most_urgent, rank
from assistant.triage.matching import normalise
from assistant.triage.protocols import (
    YES,
    crisis_screens,
    dangerous_uncovered,
    screen_hits,
)
from assistant.triage.red_flags import Context, RuleHit, evaluate, find_terms

log = logging.getLogger(__name__)

MODEL_CONFIDENCE = 0.6  # softmax probability the model's top level needs to count as confident
OLD_AGE_YEARS = 75
INFANT_AGE_YEARS = 0.25  # under 3 months: never self-care
BABY_AGE_YEARS = 1.0  # a story about a baby that no rule explains: speak to a clinician today
SELF_HARM_MIN_AGE_YEARS = 10  # an overdose in a younger child is an accident, not a crisis
CRISIS_GROUPS = frozenset({"suicidal"})
OVERDOSE_GROUPS = frozenset({"poisoning"})
# A poisoning is a crisis when it is an overdose of medicines, not fumes or a household chemical.
_MEDICINE_WORDS = re.compile(
    r"\b(?:overdos\w*|pills?|tablets?|meds|medicines?|medications?|paracetamol|acetaminophen|"
    r"tylenol|ibuprofen|aspirin|painkillers?|sleeping|antidepressants?|insulin|opioids?|"
    r"codeine|tramadol)\b"
)
MEANING_LEVELS = ("emergency", "urgent")  # what the meaning layer may add
HIGH_RISK_CONDITIONS = frozenset({"weakened immune system", "diabetes"})
# Insulin or metformin mean diabetes; a blood thinner turns a small bleed into a risk.
HIGH_RISK_MEDICINES = frozenset({"insulin", "metformin", "warfarin", "apixaban", "rivaroxaban",
                                 "edoxaban", "dabigatran", "blood thinner"})
# Diabetes is a concern when the symptoms are unexplained (atypical presentations), not when a
# rule recognised a common minor complaint (a cold: self-care with the sick-day rules). Insulin
# stays a concern: an illness can unsettle its doses (NHS 'Sick day rules').
DIABETES = frozenset({"diabetes", "metformin"})

NO_SIGNAL_REASON = (
    "No specific warning signs were found, but there is not enough information to recommend "
    "self-care, so a routine appointment is the safe choice"
)
BABY_REASON = "Symptoms in a baby need a clinician to check them today"
WARNING_SIGN_REASON = "You answered yes when asked about emergency warning signs"
HIGH_RISK_REASON = (
    "Self-care is not advised on its own for babies under 3 months, people aged 75 or over or "
    "frail, in pregnancy, with a weakened immune system, with diabetes, or when taking a blood "
    "thinner"
)
SUDDEN_SEVERE_REASON = "It came on suddenly and is severe, so a clinician should check it today"
CRISIS_REASON = "Thoughts of suicide or of harming yourself, or a possible overdose"
MODEL_REASON = "An additional automated check suggested a higher level of care"
STORY_EMERGENCY_REASON = (
    "Taken together, what you describe is like situations that need emergency care"
)
STORY_DOUBT_REASON = (
    "Taken together, what you describe is not clearly something to look after at home"
)
STORY_SELF_CARE_REASON = (
    "What you describe sounds like something that can usually be looked after at home, and no "
    "warning signs were found"
)
MODEL_OPTIONS = tuple(LEVELS)


@dataclass(frozen=True)
class TriageResult:
    """A level of care, why, which rules fired, whether the call is a confident one, and
    whether the patient is in a mental-health crisis (crisis contacts must be given)."""

    level: str
    reasons: list[str]
    red_flags: list[str]
    source: str = "rules"
    confident: bool = True
    crisis: bool = False

    def to_dict(self) -> dict:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "red_flags": list(self.red_flags),
            "source": self.source,
            "confident": self.confident,
            "crisis": self.crisis,
        }


def context_for(state: IntakeState) -> Context:
    """The facts that rule conditions use, taken from the intake state."""
    return Context(
        age_years=state.age_years,
        is_child=state.is_child,
        pregnant=state.pregnant,
        duration_days=state.duration_days,
    )


def _high_risk(state: IntakeState, text: str, explained: bool = False) -> bool:
    """Context in which self-care is not advised on its own; with `explained` (a rule
    recognised the complaint as a minor one) diabetes alone is not such a context."""
    age = state.age_years
    conditions = set(state.chronic_conditions or ()) - (DIABETES if explained else set())
    medicines = set(state.medicines or ()) - (DIABETES if explained else set())
    return bool(
        (age is not None and (age < INFANT_AGE_YEARS or age >= OLD_AGE_YEARS))
        or facts.frail(text)
        or state.pregnant
        or conditions & HIGH_RISK_CONDITIONS
        or medicines & HIGH_RISK_MEDICINES
    )


def _baby(state: IntakeState, text: str) -> bool:
    if state.age_years is not None:
        return state.age_years < BABY_AGE_YEARS
    return bool(state.is_child) and facts.mentions_baby(text)


def _self_care_concerns(state: IntakeState, text: str, explained: bool = False
                        ) -> list[tuple[str, str]]:
    """Why a self-care answer would be unsafe here, as (level, reason) pairs; `explained`: a
    self-care rule recognised the complaint."""
    concerns = []
    if facts.is_severe(state.severity) and state.onset == "sudden":
        concerns.append(("urgent", SUDDEN_SEVERE_REASON))
    if _high_risk(state, text, explained):
        concerns.append(("routine", HIGH_RISK_REASON))
    return concerns


def answer_hits(state: IntakeState, ctx: Context) -> list[RuleHit]:
    """Rule hits from structured answers the transcript does not spell out: a bare "9" to the
    0-10 question is read by the rule book as the "9/10" it means."""
    if state.severity is None or not state.severity.endswith("/10"):
        return []
    return evaluate(f"pain {state.severity}", ctx)


def decide_from_rules(hits: list[RuleHit], state: IntakeState, text: str = "") -> TriageResult:
    """Combine rule hits and screen answers; then the safe defaults.

    The most urgent level wins. With nothing matched: routine, or urgent for a dangerous body
    system or a baby (unconfident either way). A dangerous family that no fired rule explains
    lifts a lower level to urgent. Self-care also gives way to a sudden severe onset and to
    high-risk context.
    """
    if state.warning_signs_answer:
        hits = [RuleHit("warning_signs_reported", "emergency", WARNING_SIGN_REASON), *hits]
    hits = [*hits, *screen_hits(state.screen_answers)]
    explained = [h.rule_id for h in hits if h.level in ("routine", "self-care")]
    uncovered = dangerous_uncovered(state.families, explained)
    red_flags = [h.rule_id for h in hits if h.level == "emergency"]
    if not hits:
        if uncovered or _baby(state, text):
            reasons = [f.reason for f in uncovered] or [BABY_REASON]
            return TriageResult("urgent", reasons, [], "rules", confident=False)
        return TriageResult("routine", [NO_SIGNAL_REASON], [], "rules", confident=False)
    level = most_urgent(*(h.level for h in hits))
    reasons = list(dict.fromkeys(h.reason for h in hits if h.level == level))
    if rank(level) < rank("urgent") and uncovered:
        return TriageResult("urgent", [f.reason for f in uncovered], red_flags, confident=False)
    if level == "self-care":
        concerns = _self_care_concerns(state, text, explained=True)
        if concerns:
            level = most_urgent(*(c for c, _ in concerns))
            found = [r for c, r in concerns if c == level]
            reasons = found if level == "urgent" else [*found, *reasons]
    return TriageResult(level, reasons, red_flags, "rules", confident=True)


def is_crisis(text: str, state: IntakeState, extra: frozenset[str] = frozenset()) -> bool:
    """Crisis language anywhere in `text` (the rules' suicidal / poisoning term groups, plus the
    meaning layer's groups), or a yes to a crisis screen. A poisoning counts when it is an
    overdose of medicines and not in a young child (an emergency, but not a mental-health
    crisis)."""
    groups = find_terms(text).present | extra
    young = bool(state.is_child) and (
        state.age_years is None or state.age_years < SELF_HARM_MIN_AGE_YEARS
    )
    overdose = bool(groups & OVERDOSE_GROUPS) and bool(_MEDICINE_WORDS.search(normalise(text)))
    answered = crisis_screens(state.screen_answers)
    return bool(groups & CRISIS_GROUPS or (overdose and not young) or YES in answered.values())


def meaning_hits(
    text: str, ctx: Context, signs: object | None, plain: list[RuleHit]
) -> tuple[list[RuleHit], frozenset[str]]:
    """Emergency / urgent hits that the meaning layer's groups add to the plain rules, and the
    groups. `signs` is anything with `groups(text) -> frozenset[str]`; it can only raise."""
    if signs is None:
        return [], frozenset()
    try:
        extra = frozenset(signs.groups(text))
    except Exception as exc:  # a failing meaning layer must never block triage
        log.warning("triage meaning layer unavailable (%s); using rules only", type(exc).__name__)
        return [], frozenset()
    have = {h.rule_id for h in plain}
    added = [
        h for h in evaluate(text, ctx, extra=extra)
        if h.level in MEANING_LEVELS and h.rule_id not in have
    ]
    return added, extra


def story_opinion(text: str, urgency: object | None) -> object | None:
    """The whole-story urgency scores, or None without a model or when it fails."""
    if urgency is None:
        return None
    try:
        if not getattr(urgency, "reads", lambda _text: True)(text):
            return None  # too short for a whole-story reading; the next turns will tell more
        return urgency.scores(text)
    except Exception as exc:  # a failing model must never block triage
        log.warning("triage urgency model unavailable (%s); using rules only",
                    type(exc).__name__)
        return None


def apply_story(
    result: TriageResult, scores: object, thresholds: object, state: IntakeState, text: str
) -> TriageResult:
    """Let the whole-story reading raise the level, or accept self-care where nothing is wrong.

    Raise to emergency at or above its threshold; doubt a rule's self-care below the keep
    threshold (routine instead). Lower only an unconfident "no signal" routine, to self-care, and
    only with a strong self-care reading and no concern at all (no dangerous system, baby,
    high-risk context or sudden severe onset): never anything a rule or a screen found.
    """
    if result.level == "emergency":
        return result
    if scores.emergency >= thresholds.emergency:
        return replace(result, level="emergency", confident=True,
                       reasons=[STORY_EMERGENCY_REASON, *result.reasons],
                       red_flags=[*result.red_flags, "whole_story_emergency"],
                       source=f"{result.source}+story")
    if result.level == "self-care" and scores.self_care < thresholds.keep_self_care:
        return replace(result, level="routine", reasons=[STORY_DOUBT_REASON, *result.reasons],
                       source=f"{result.source}+story")
    if scores.self_care >= thresholds.self_care and may_accept_self_care(result, state, text):
        return replace(result, level="self-care", reasons=[STORY_SELF_CARE_REASON],
                       source=f"{result.source}+story", confident=False)
    return result


def may_accept_self_care(result: TriageResult, state: IntakeState, text: str) -> bool:
    """Whether the whole-story reading may turn this result into self-care: only an unconfident
    "no signal" routine (no rule, no screen) with nothing else of concern (no dangerous system,
    baby, high-risk context or sudden severe onset). Training uses it to choose the threshold."""
    return (result.level == "routine" and not result.confident and not result.crisis
            and NO_SIGNAL_REASON in result.reasons
            and not _self_care_concerns(state, text) and not _baby(state, text)
            and not dangerous_uncovered(state.families, []))


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
    combined = replace(rules, source=f"{rules.source}+model")
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
    text: str,
    state: IntakeState,
    model: object | None = None,
    signs: object | None = None,
    urgency: object | None = None,
) -> TriageResult:
    """Triage `text` given what the intake already knows; consult `signs`, `urgency` and `model`
    if given.

    `signs` is duck-typed: anything with `groups(text) -> frozenset[str]` naming rule-book term
    groups it recognises (e.g. `assistant.triage.meaning.SignDetector`); `urgency`, anything with
    `scores(text)` and `thresholds` (e.g. `assistant.triage.urgency.UrgencyModel`).
    """
    ctx = context_for(state)
    plain = evaluate(text, ctx)
    have = {h.rule_id for h in plain}
    plain = [*plain, *(h for h in answer_hits(state, ctx) if h.rule_id not in have)]
    added, extra = meaning_hits(text, ctx, signs, plain)
    result = decide_from_rules([*plain, *added], state, text)
    crisis = is_crisis(text, state, extra)
    if crisis and result.level != "emergency":
        result = replace(result, level="emergency", reasons=[CRISIS_REASON, *result.reasons])
    result = replace(result, source="rules+meaning" if added else "rules", crisis=crisis)
    scores = story_opinion(text, urgency)
    if scores is not None:
        result = apply_story(result, scores, urgency.thresholds, state, text)
    if plain or added:
        log.info("triage rules fired: %s", ",".join(h.rule_id for h in (*plain, *added)))
    if model is None or result.level == "emergency":
        return result
    opinion = model_opinion(model, text)
    if opinion is None:
        return result
    model_level, probability = opinion
    return combine(result, model_level, probability >= MODEL_CONFIDENCE)


_KNOWN_FROM_STATE = ("age_years", "is_child", "pregnant", "duration_days", "onset", "severity",
                     "chronic_conditions", "warning_signs_answer")


def assess(
    text: str,
    state: IntakeState | None = None,
    model: object | None = None,
    signs: object | None = None,
    urgency: object | None = None,
) -> TriageResult:
    """Triage a free-text case description (a patient's story or a clinical vignette).

    Facts found in the text (age, pregnancy, duration, complaint families) fill whatever `state`
    does not already know. `model`, if given, is anything with `score_options(prompt, options)
    -> dict`; `signs`, anything with `groups(text) -> frozenset[str]`; `urgency`, anything with
    `scores(text)` and `thresholds`.
    """
    from_text = state_from_text(text)
    if state is not None:
        known = {n: getattr(state, n) for n in _KNOWN_FROM_STATE if getattr(state, n) is not None}
        from_text = replace(
            from_text,
            **known,
            families=tuple(dict.fromkeys((*state.families, *from_text.families))),
            screens=tuple({**from_text.screen_answers, **state.screen_answers}.items()),
        )
    return decide(text, from_text, model, signs, urgency)

"""What the intake asks next, and in whose words: the patient's, or a parent's about a child.

Fields are asked in a nurse's order, at most two questions a turn. Straight after the main
problem come the warning-sign questions: the targeted screens of the story's complaint protocols
(protocols.toml), or the generic warning-sign question when the story fits no protocol. For a
child the age comes first, and questions are put to the parent ("How old is your child?");
a young child is never asked about self-harm or pregnancy.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.triage.intake import IntakeState
from assistant.triage.protocols import SCREEN_PREFIX, default_protocols, story_screens

MAX_QUESTIONS_PER_TURN = 2
SELF_HARM_QUESTION_MIN_AGE = 10  # below this, a parent is not asked about the child's self-harm
PREGNANCY_AGE_RANGE = (12, 55)

# The fixed part of the asking order; the warning-sign group is filled in per story.
QUESTION_GROUPS: tuple[tuple[str, ...], ...] = (
    ("chief_complaint",),
    ("red_flags",),
    ("onset", "severity"),
    ("location", "associated_symptoms"),
    ("age", "sex"),
    ("pregnancy",),
    ("chronic_conditions", "medicines"),
    ("allergies",),
)
FIELDS: tuple[str, ...] = tuple(f for group in QUESTION_GROUPS for f in group)

QUESTIONS = {
    "chief_complaint": "What is the main problem or symptom that is bothering you today?",
    "red_flags": "Before we go on, do you have any of these right now: chest pain or pressure, "
    "severe difficulty breathing, a drooping face, weak arm or slurred speech, heavy bleeding "
    "that will not stop, swelling of the lips, tongue or throat, confusion or fainting, or "
    "thoughts of harming yourself? Please answer yes or no.",
    "onset": "When did it start, and did it come on suddenly or gradually?",
    "severity": "How bad is it on a scale from 0 (no problem) to 10 (the worst you can imagine)?",
    "location": "Where in your body do you feel it?",
    "associated_symptoms": "Have you noticed anything else, such as a fever, vomiting, a rash, "
    "dizziness or breathlessness?",
    "age": "How old are you (or the person you are asking for)?",
    "sex": "Are you male or female?",
    "pregnancy": "Is there any chance you could be pregnant?",
    "chronic_conditions": "Do you have any long-term health conditions, such as diabetes, asthma "
    "or a heart problem?",
    "medicines": "Do you take any medicines regularly, including ones you buy without a "
    "prescription?",
    "allergies": "Are you allergic to any medicines or anything else?",
}
_CHILD_WARNING = (
    "Before we go on, does your child have any of these right now: difficulty breathing or "
    "grunting, blue, grey or very pale lips or skin, being floppy, very sleepy or hard to wake, "
    "a fit, a rash that does not fade when you press a glass on it, heavy bleeding, or swelling "
    "of the lips, tongue or throat{self_harm}? Please answer yes or no."
)
CHILD_QUESTIONS = {
    "red_flags": _CHILD_WARNING.format(self_harm=""),
    "red_flags_older_child": _CHILD_WARNING.format(
        self_harm=", or has your child talked about harming themselves"),
    "onset": "When did it start, and did it come on suddenly or gradually?",
    "severity": "How unwell does your child seem, from 0 (their usual self) to 10 (the most "
    "unwell you can imagine)?",
    "location": "Where in their body does your child feel it?",
    "associated_symptoms": "Have you noticed anything else, such as a fever, vomiting, a rash, "
    "fewer wet nappies or less urine, or breathing problems?",
    "age": "How old is your child?",
    "sex": "Is your child a boy or a girl?",
    "chronic_conditions": "Does your child have any long-term health conditions, such as asthma, "
    "diabetes or a heart problem?",
    "medicines": "Does your child take any medicines regularly, including ones bought without a "
    "prescription?",
    "allergies": "Is your child allergic to any medicines or anything else?",
}
SCREEN_PROMPT = {1: "Please answer yes, no or not sure.",
                 2: "Please answer yes, no or not sure to each."}


def screen_fields(state: IntakeState) -> tuple[str, ...]:
    """The warning-sign screens that apply to this story, as intake field names."""
    return tuple(s.field for s in story_screens(state.families, state.is_child, state.age_years))


def question_groups(state: IntakeState) -> tuple[tuple[str, ...], ...]:
    """The asking order for this story: a child's age early, then its warning-sign questions."""
    screens = screen_fields(state)
    warning = (screens,) if screens else (("red_flags",),)
    child_age = (("age",),) if state.is_child and state.age_years is None else ()
    return (QUESTION_GROUPS[0], *child_age, *warning, *QUESTION_GROUPS[2:])


def _pregnancy_applies(state: IntakeState) -> bool:
    if state.sex == "male" or state.is_child:
        return False
    low, high = PREGNANCY_AGE_RANGE
    return state.age_years is None or low <= state.age_years <= high


def _has_value(state: IntakeState, name: str) -> bool:
    if name.startswith(SCREEN_PREFIX):
        return name[len(SCREEN_PREFIX):] in state.screen_answers
    if name == "red_flags":
        return state.warning_signs_answer is not None
    if name == "onset":
        return state.onset is not None or state.duration_days is not None
    if name == "age":
        return state.age_years is not None
    if name == "pregnancy":
        return state.pregnant is not None
    return getattr(state, name) is not None


def applicable_fields(state: IntakeState) -> list[str]:
    """Every field this story needs, in asking order (pregnancy only where it applies)."""
    fields = [f for group in question_groups(state) for f in group]
    return list(dict.fromkeys(
        f for f in fields if f != "pregnancy" or _pregnancy_applies(state)
    ))


def missing_fields(state: IntakeState) -> list[str]:
    """Fields still to ask about, in asking order: not known and not already left unanswered."""
    return [f for f in applicable_fields(state)
            if not _has_value(state, f) and f not in state.unknown]


def not_known_fields(state: IntakeState) -> list[str]:
    """Fields the clinician does not have yet: never asked, or asked and not answered."""
    return [f for f in applicable_fields(state) if not _has_value(state, f)]


def question_text(state: IntakeState, name: str) -> str:
    """The wording of one question, put to a parent when the patient is a child."""
    if name.startswith(SCREEN_PREFIX):
        screen = default_protocols().screens[name[len(SCREEN_PREFIX):]]
        return screen.question(state.is_child)
    if not state.is_child:
        return QUESTIONS[name]
    if name == "red_flags" and (state.age_years or 0) >= SELF_HARM_QUESTION_MIN_AGE:
        return CHILD_QUESTIONS["red_flags_older_child"]
    return CHILD_QUESTIONS.get(name, QUESTIONS[name])


def next_questions(state: IntakeState) -> list[tuple[str, str]]:
    """The next one or two (field, question) pairs: the first group with something missing."""
    missing = set(missing_fields(state))
    for group in question_groups(state):
        wanted = [f for f in group if f in missing]
        if wanted:
            return [(f, question_text(state, f)) for f in wanted[:MAX_QUESTIONS_PER_TURN]]
    return []


def mark_unanswered(state: IntakeState) -> IntakeState:
    """Questions asked but still unanswered after the reply are not asked again."""
    still = {f for f in state.asked if not _has_value(state, f) and f != "chief_complaint"}
    return replace(state, unknown=state.unknown | still)

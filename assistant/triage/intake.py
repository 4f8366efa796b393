"""The intake state a triage nurse fills in, how each message updates it, and what to ask next.

`IntakeState` is immutable: `update_state` returns a new one, so a conversation is a plain fold
over the patient's messages and every step can be tested on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.triage import facts
from assistant.triage.matching import compile_group, find_mentions, normalise

MAX_QUESTIONS_PER_TURN = 2

# Fields in the order a nurse asks for them; red flags come straight after the complaint.
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

_SYMPTOMS = {
    name: compile_group(patterns)
    for name, patterns in {
        "fever": [r"fever\w*", r"(?<!a)febrile", r"high temp\w*", r"temperature"],
        "chills": [r"chills", r"shiver\w*", r"rigors?"],
        "cough": [r"cough\w*"],
        "sore throat": [r"sore throat", r"throat (pain|hurts)"],
        "runny or blocked nose": [r"runny nose", r"blocked nose", r"rhinorrh\w*", r"congest\w*"],
        "headache": [r"headache\w*", r"migraine\w*"],
        "chest pain": [r"chest (pain|tightness|pressure)", r"pain in (my |the )?chest"],
        "breathlessness": [r"short(ness)? of breath", r"breathless\w*", r"difficulty breathing",
                           r"(can't|cannot) breathe", r"wheez\w*"],
        "sweating": [r"sweat\w*", r"clammy"],
        "nausea": [r"nause\w*", r"feel\w* sick"],
        "vomiting": [r"vomit\w*", r"throwing up", r"being sick"],
        "diarrhoea": [r"diarrho?e\w*", r"loose (stools|poo)"],
        "constipation": [r"constipat\w*", r"hard (stools?|poo)"],
        "abdominal pain": [r"(abdominal|stomach|tummy|belly) (pain|ache|cramps?)"],
        "back pain": [r"back (pain|ache)", r"backache", r"lbp"],
        "rash": [r"rash\w*", r"spots", r"hives"],
        "itching": [r"itch\w*"],
        "discharge": [r"discharge"],
        "bleeding": [r"bleed\w*", r"blood"],
        "dizziness": [r"dizz\w*", r"vertigo", r"spinning", r"light[- ]?headed"],
        "fainting": [r"faint(ed|ing)", r"passed out", r"blacked out", r"collapsed"],
        "confusion": [r"confus\w*", r"disorient\w*", r"altered mental"],
        "weakness": [r"weak\w*", r"paraly\w*"],
        "numbness": [r"numb\w*", r"pins and needles", r"tingl\w*"],
        "speech difficulty": [r"slurr\w*", r"aphasi\w*", r"difficulty speaking"],
        "fatigue": [r"fatigue\w*", r"tired\w*", r"exhaust\w*", r"malaise"],
        "swelling": [r"swell\w*", r"swollen"],
        "painful urination": [r"(pain|burning|stinging) when (i )?(pee|urinat)\w*", r"dysuri\w*"],
        "joint pain": [r"joint pain\w*", r"arthralgi\w*", r"athralgi\w*"],
        "muscle spasms": [r"spasms?"],
        "difficulty swallowing": [r"difficulty swallowing", r"dysphagi\w*"],
        "ulcers": [r"ulcer\w*", r"(mouth|cold|canker) sores?"],
        "loss of appetite": [r"(loss of|no|poor) appetite", r"anorexi\w*"],
        "weight loss": [r"weight loss", r"losing weight"],
    }.items()
}
_CONDITIONS = {
    name: compile_group(patterns)
    for name, patterns in {
        "diabetes": [r"diabet\w*"], "asthma": [r"asthma\w*"],
        "COPD": [r"copd", r"emphysema", r"chronic bronchitis"],
        "high blood pressure": [r"hypertensi\w*", r"high blood pressure"],
        "heart disease": [r"heart (disease|failure|attack|condition|problem)", r"angina"],
        "atrial fibrillation": [r"atrial fibrillation", r"\bafib\b", r"\baf\b"],
        "epilepsy": [r"epilep\w*"], "kidney disease": [r"kidney (disease|failure)", r"ckd"],
        "liver disease": [r"liver (disease|failure)", r"cirrhosis"],
        "cancer": [r"cancer", r"chemo\w*"], "HIV": [r"hiv"],
        "previous stroke": [r"(had|history of) a stroke", r"previous stroke"],
        "thyroid disease": [r"thyroid\w*"], "depression": [r"depress\w*"],
        "migraine": [r"migraine\w*"], "sickle cell disease": [r"sickle cell"],
        "weakened immune system": [r"immunosuppress\w*", r"weak(ened)? immune", r"transplant"],
    }.items()
}
_MEDICINES = {
    name: compile_group([pattern])
    for name, pattern in {
        "paracetamol/acetaminophen": r"paracetamol|acetaminophen|tylenol",
        "ibuprofen": r"ibuprofen|advil|nurofen", "aspirin": r"aspirin",
        "warfarin": r"warfarin", "apixaban": r"apixaban", "rivaroxaban": r"rivaroxaban",
        "insulin": r"insulin", "metformin": r"metformin",
        "inhaler": r"inhalers?|salbutamol|ventolin", "statin": r"\w*statin",
        "blood pressure tablets": r"amlodipine|ramipril|lisinopril|losartan",
        "levothyroxine": r"levothyroxine", "antidepressant": r"sertraline|citalopram|fluoxetine",
        "contraceptive pill": r"(contraceptive|the) pill", "steroids": r"prednisolone|steroids?",
        "antibiotics": r"antibiotics?|amoxicillin", "omeprazole": r"omeprazole|lansoprazole",
        "codeine": r"codeine", "morphine": r"morphine", "antihistamine": r"antihistamines?",
    }.items()
}
_ALLERGY = re.compile(r"\ballergic to ([a-z][a-z\s-]{1,40}?)(?=[.,;!?]|\band\b|$)")
_NO_ALLERGY = re.compile(r"\b(?:no|nkda|nka|not allergic|don'?t have any|no known)\b[\w\s]{0,20}"
                         r"allerg|\bnkda\b|\bnot allergic\b")
_NO_MEDICINES = re.compile(r"\b(?:no|not on any|don'?t take any|do not take any|not taking any|"
                           r"none)\b[\w\s]{0,12}(?:medicines?|medications?|meds|tablets|drugs)\b")
_YES = re.compile(r"^\s*(?:yes|yeah|yep|yup|y|i do|i am|i have|correct|possibly|maybe|might be|"
                  r"perhaps|i think so|not sure|unsure|i'?m not sure|don'?t know)\b")
_NO = re.compile(r"^\s*(?:no|nope|nah|n|none|nothing|not really|not that i know|i don'?t|"
                 r"i do not|i'?m not|i am not|neither|negative)\b")
_UNKNOWN = re.compile(r"^\s*(?:i )?(?:don'?t know|not sure|no idea|unsure|can'?t say|skip)\b")
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\W*$")
_BODY_PARTS = re.compile(
    r"\b(chest|head|forehead|abdomen|stomach|tummy|belly|lower back|upper back|back|throat|"
    r"ears?|eyes?|neck|shoulders?|arms?|hands?|wrists?|legs?|knees?|ankles?|feet|foot|hips?|"
    r"mouth|teeth|tooth|gums?|skin|groin|vagina|penis|testicles?|bottom|side|jaw|calf)\b"
)
_LIST_FIELDS = ("chronic_conditions", "medicines", "allergies")
_BARE_AGE = re.compile(r"\s*(?:i'?m |i am |about |around )?(\d{1,3})\b(?!\s*(?:weeks?|days?|/))")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bplus\b|&)\s*")


@dataclass(frozen=True)
class IntakeState:
    """What is known so far. None: not yet known; () for lists: asked and the answer is none."""

    chief_complaint: str | None = None
    onset: str | None = None
    duration_days: float | None = None
    severity: str | None = None
    location: str | None = None
    associated_symptoms: tuple[str, ...] | None = None
    denied_symptoms: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    warning_signs_answer: bool | None = None
    age_years: float | None = None
    is_child: bool | None = None
    sex: str | None = None
    pregnant: bool | None = None
    chronic_conditions: tuple[str, ...] | None = None
    medicines: tuple[str, ...] | None = None
    allergies: tuple[str, ...] | None = None
    patient_statements: tuple[str, ...] = ()
    unknown: frozenset[str] = field(default_factory=frozenset)
    asked: tuple[str, ...] = ()

    @property
    def transcript(self) -> str:
        """Everything the patient has said, one statement per line."""
        return "\n".join(self.patient_statements)


def _merge(old: tuple[str, ...] | None, new: list[str]) -> tuple[str, ...] | None:
    if not new:
        return old
    return tuple(dict.fromkeys((*(old or ()), *new)))


def _found(text: str, vocabulary: dict) -> tuple[list[str], list[str]]:
    findings = find_mentions(text, vocabulary)
    present = [name for name in vocabulary if name in findings.present]
    denied = [name for name in vocabulary if name in findings.denied]
    return present, denied


def _free_list(text: str) -> list[str]:
    items = [i.strip(" .!?") for i in _LIST_SPLIT.split(text)]
    return [i for i in items if i and not _NO.match(i)][:8]


def _is_missing(state: IntakeState, name: str) -> bool:
    if name in state.unknown:
        return False
    if name == "red_flags":
        return state.warning_signs_answer is None
    if name == "onset":
        return state.onset is None and state.duration_days is None
    if name == "age":
        return state.age_years is None
    if name == "pregnancy":
        return state.pregnant is None
    return getattr(state, name) is None


def _pregnancy_applies(state: IntakeState) -> bool:
    if state.sex == "male" or state.is_child:
        return False
    return state.age_years is None or 12 <= state.age_years <= 55


def missing_fields(state: IntakeState) -> list[str]:
    """Fields still to ask about, in asking order (pregnancy only where it applies)."""
    return [
        f for f in FIELDS
        if _is_missing(state, f) and (f != "pregnancy" or _pregnancy_applies(state))
    ]


def next_questions(state: IntakeState) -> list[tuple[str, str]]:
    """The next one or two (field, question) pairs: the first group with something missing."""
    missing = set(missing_fields(state))
    for group in QUESTION_GROUPS:
        wanted = [f for f in group if f in missing]
        if wanted:
            return [(f, QUESTIONS[f]) for f in wanted[:MAX_QUESTIONS_PER_TURN]]
    return []


def _answer_pending(state: IntakeState, text: str, t: str) -> IntakeState:
    """Read a short reply as the answer to the question(s) just asked."""
    updates: dict = {}
    negative = bool(_NO.match(t))
    unknown = bool(_UNKNOWN.match(t))
    recognised = any(
        find_mentions(t, vocabulary).present
        for vocabulary in (_CONDITIONS, _MEDICINES)
    ) or bool(_ALLERGY.search(t))
    free_used = False
    for name in state.asked:
        if name == "red_flags" and state.warning_signs_answer is None:
            if negative and not unknown:
                updates["warning_signs_answer"] = False
            elif _YES.match(t):
                updates["warning_signs_answer"] = True
        elif name == "age" and state.age_years is None:
            m = _BARE_AGE.match(t)
            if m:
                updates["age_years"] = float(m.group(1))
        elif name == "sex" and state.sex is None:
            updates["sex"] = facts.sex_answer(text)
        elif name == "pregnancy" and state.pregnant is None:
            if _YES.match(t):
                updates["pregnant"] = True
            elif negative:
                updates["pregnant"] = False
        elif name == "onset" and state.duration_days is None:
            updates["duration_days"] = facts.bare_duration_days(text)
        elif name == "severity" and state.severity is None:
            updates["severity"] = facts.bare_score(text)
        elif name == "location" and state.location is None and not unknown:
            m = _BODY_PARTS.search(t)
            updates["location"] = m.group(1) if m else (None if negative else text.strip()[:60])
        elif name == "associated_symptoms" and negative:
            updates["associated_symptoms"] = state.associated_symptoms or ()
        elif name in _LIST_FIELDS and getattr(state, name) is None:
            if negative:
                updates[name] = ()
            elif not unknown and not recognised and not free_used:
                updates[name], free_used = tuple(_free_list(text)), True
    return replace(state, **{k: v for k, v in updates.items() if v is not None})


def update_state(state: IntakeState, message: str) -> IntakeState:
    """Fold one patient message into the state: facts stated anywhere, then pending answers."""
    t = normalise(message)
    if not t:
        return state
    state = replace(state, patient_statements=(*state.patient_statements, message.strip()))
    if _GREETING.match(t):
        return state
    state = _answer_pending(state, message, t)

    symptoms, denied = _found(t, _SYMPTOMS)
    conditions, _ = _found(t, _CONDITIONS)
    medicines, _ = _found(t, _MEDICINES)
    updates: dict = {
        "associated_symptoms": _merge(state.associated_symptoms, symptoms)
        if state.chief_complaint is not None or "associated_symptoms" in state.asked
        else state.associated_symptoms,
        "denied_symptoms": _merge(state.denied_symptoms, denied) or (),
        "chronic_conditions": _merge(state.chronic_conditions, conditions),
        "medicines": _merge(state.medicines, medicines),
    }
    if state.chief_complaint is None and ("chief_complaint" in state.asked or symptoms):
        first_sentence = re.split(r"(?<=[.!?])\s", message.strip(), maxsplit=1)[0]
        updates["chief_complaint"] = first_sentence[:160]
        updates["associated_symptoms"] = state.associated_symptoms
    if state.medicines is None and _NO_MEDICINES.search(t) and not medicines:
        updates["medicines"] = ()
    allergies = [a.strip() for a in _ALLERGY.findall(t)]
    if allergies:
        updates["allergies"] = _merge(state.allergies, allergies)
    elif state.allergies is None and _NO_ALLERGY.search(t):
        updates["allergies"] = ()
    for name, value in (
        ("age_years", facts.age_years(message)),
        ("sex", facts.sex(message)),
        ("pregnant", facts.pregnant(message)),
        ("duration_days", facts.duration_days(message)),
        ("onset", facts.onset(message)),
        ("severity", facts.severity(message)),
    ):
        if value is not None and getattr(state, name) is None:
            updates[name] = value
    if state.location is None:
        m = _BODY_PARTS.search(t)
        if m:
            updates["location"] = m.group(1)
    state = replace(state, **updates)
    if state.pregnant:
        state = replace(state, sex=state.sex or "female")
    is_child = state.is_child
    if state.age_years is not None:
        is_child = state.age_years < 16
    elif facts.mentions_child(message):
        is_child = True
    return replace(state, is_child=is_child)


def mark_unanswered(state: IntakeState) -> IntakeState:
    """Questions asked but still unanswered after the reply are not asked again."""
    still = {f for f in state.asked if _is_missing(state, f) and f != "chief_complaint"}
    return replace(state, unknown=state.unknown | still)


def state_from_text(text: str) -> IntakeState:
    """An intake state filled from one free-text case description (e.g. a vignette)."""
    return update_state(IntakeState(), text)

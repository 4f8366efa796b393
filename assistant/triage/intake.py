"""The intake state a triage nurse fills in, and how each patient message updates it.

`IntakeState` is immutable: `update_state` returns a new one, so a conversation is a plain fold
over the patient's messages and every step can be tested on its own. What to ask next lives in
`questions.py`; how a free yes/no reply is read lives in `answers.py`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from assistant.triage import facts
from assistant.triage.answers import NO, UNSURE, YES, answers_to, read_answer
from assistant.triage.matching import compile_group, find_mentions, normalise
from assistant.triage.protocols import SCREEN_PREFIX, default_protocols, detect_families

# Answers to these are history, not the complaint: they never start a complaint protocol
# ("penicillin gives me hives" is not an allergic reaction happening now).
HISTORY_FIELDS = frozenset({"chronic_conditions", "medicines", "allergies"})

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
        "diabetes": [r"diabet\w*", r"type [12]", r"t[12]dm?"], "asthma": [r"asthma\w*"],
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
        "weakened immune system": [
            r"immunosuppress\w*", r"weak(ened)? immune", r"transplant", r"chemo\w*",
            r"methotrexate", r"azathioprine", r"mycophenolate", r"tacrolimus", r"ciclosporin",
            r"cyclosporine", r"biologics?", r"adalimumab", r"infliximab", r"rituximab",
            r"long[- ]term steroids"],
    }.items()
}
_MEDICINES = {
    name: compile_group([pattern])
    for name, pattern in {
        "paracetamol/acetaminophen": r"paracetamol|acetaminophen|tylenol",
        "ibuprofen": r"ibuprofen|advil|nurofen", "aspirin": r"aspirin",
        "warfarin": r"warfarin", "apixaban": r"apixaban|eliquis",
        "rivaroxaban": r"rivaroxaban|xarelto", "edoxaban": r"edoxaban", "dabigatran": r"dabigatran",
        "blood thinner": r"blood thinners?|anticoagulants?",
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
_GREETING = re.compile(r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening))\W*$")
_BODY_PARTS = {"body part": compile_group([
    r"chest", r"head", r"forehead", r"abdomen", r"stomach", r"tummy", r"belly", r"lower back",
    r"upper back", r"back", r"throat", r"ears?", r"eyes?", r"nose", r"neck", r"shoulders?",
    r"arms?", r"hands?", r"fingers?", r"wrists?", r"elbows?", r"legs?", r"knees?", r"ankles?",
    r"feet", r"foot", r"toes?", r"hips?", r"mouth", r"teeth", r"tooth", r"gums?", r"tongue",
    r"lips?", r"face", r"skin", r"groin", r"vagina", r"penis", r"testicles?", r"bottom",
    r"side", r"jaw", r"calf", r"ribs?", r"pelvis", r"all over",
])}
_LIST_FIELDS = ("chronic_conditions", "medicines", "allergies")
_LIST_SPLIT = re.compile(r"\s*(?:,|;|\band\b|\bplus\b|&)\s*")


@dataclass(frozen=True)
class IntakeState:
    """What is known so far. None: not yet known; () for lists: asked and the answer is none.

    `families` are the complaint protocols the story belongs to (see protocols.toml) and
    `screens` the answers to their warning-sign questions, as (screen id, yes/no/unsure).
    `unknown` holds fields asked but not answered: they are not asked again, and the clinician
    summary still lists them as not known.
    """

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
    families: tuple[str, ...] = ()
    screens: tuple[tuple[str, str], ...] = ()
    patient_statements: tuple[str, ...] = ()
    unknown: frozenset[str] = field(default_factory=frozenset)
    asked: tuple[str, ...] = ()

    @property
    def transcript(self) -> str:
        """Everything the patient has said, one statement per line."""
        return "\n".join(self.patient_statements)

    @property
    def screen_answers(self) -> dict[str, str]:
        """Warning-sign screen answers by screen id (yes / no / unsure)."""
        return dict(self.screens)


def _merge(old: tuple[str, ...] | None, new: list[str]) -> tuple[str, ...] | None:
    if not new:
        return old
    return tuple(dict.fromkeys((*(old or ()), *new)))


def _found(text: str, vocabulary: dict, past_counts: frozenset[str] = frozenset()
           ) -> tuple[list[str], list[str]]:
    findings = find_mentions(text, vocabulary, past_counts)
    present = [name for name in vocabulary if name in findings.present]
    denied = [name for name in vocabulary if name in findings.denied]
    return present, denied


def _free_list(text: str) -> list[str]:
    items = [i.strip(" .!?") for i in _LIST_SPLIT.split(text)]
    return [i for i in items if i and read_answer(i) != NO][:8]


def body_part(text: str) -> str | None:
    """The first body part the (normalised) text affirms: a location is never a sentence."""
    mentions = [m for m in find_mentions(text, _BODY_PARTS).mentions if not m.negated]
    return text[mentions[0].start:mentions[0].end] if mentions else None


def _screen_answers(state: IntakeState, text: str) -> dict:
    pending = [f[len(SCREEN_PREFIX):] for f in state.asked if f.startswith(SCREEN_PREFIX)]
    answered = state.screen_answers
    screens = default_protocols().screens
    questions = {s: screens[s].keywords for s in pending if s in screens and s not in answered}
    got = answers_to(text, questions) if questions else {}
    return {"screens": (*state.screens, *got.items())} if got else {}


def _answer_pending(state: IntakeState, text: str, t: str) -> IntakeState:
    """Read a short reply as the answer to the question(s) just asked."""
    updates: dict = _screen_answers(state, text)
    answer = read_answer(text)
    negative, unknown = answer == NO, answer == UNSURE
    recognised = any(
        find_mentions(t, vocabulary).present
        for vocabulary in (_CONDITIONS, _MEDICINES)
    ) or bool(_ALLERGY.search(t))
    free_used = False
    for name in state.asked:
        if name == "red_flags" and state.warning_signs_answer is None and answer is not None:
            updates["warning_signs_answer"] = answer in (YES, UNSURE)
        elif name == "age" and state.age_years is None:
            updates["age_years"] = facts.bare_age_years(text)
        elif name == "sex" and state.sex is None:
            updates["sex"] = facts.sex_answer(text)
        elif name == "pregnancy" and state.pregnant is None and answer is not None:
            updates["pregnant"] = answer in (YES, UNSURE)
        elif name == "onset" and state.duration_days is None:
            updates["duration_days"] = facts.bare_duration_days(text)
        elif name == "severity" and state.severity is None:
            updates["severity"] = facts.bare_score(text)
        elif name == "location" and state.location is None:
            updates["location"] = body_part(t)
        elif name == "associated_symptoms" and negative:
            updates["associated_symptoms"] = state.associated_symptoms or ()
        elif name in _LIST_FIELDS and getattr(state, name) is None:
            if negative:
                updates[name] = ()
            elif not unknown and not recognised and not free_used:
                updates[name], free_used = tuple(_free_list(text)), True
    return replace(state, **{k: v for k, v in updates.items() if v is not None})


def _families(state: IntakeState, message: str) -> tuple[str, ...]:
    """Families so far plus those this message starts; a family that needs a child or a
    pregnancy is looked for in everything said once that becomes known."""
    words = "" if HISTORY_FIELDS & set(state.asked) else message
    found = detect_families(words, state.is_child, state.pregnant)
    if state.is_child or state.pregnant:
        book = default_protocols()
        conditional = {f.id for f in book.families if f.child or f.pregnant}
        everything = detect_families(state.transcript, state.is_child, state.pregnant)
        found = (*found, *(f for f in everything if f in conditional))
    return tuple(dict.fromkeys((*state.families, *found)))


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
    conditions, _ = _found(t, _CONDITIONS, frozenset(_CONDITIONS))  # history is the point
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
        updates["location"] = body_part(t)
    state = replace(state, **updates)
    if state.pregnant:
        state = replace(state, sex=state.sex or "female")
    is_child = state.is_child
    if state.age_years is not None:
        is_child = state.age_years < 16
    elif facts.mentions_child(message) and not state.pregnant:  # "the baby is moving less"
        is_child = True
    state = replace(state, is_child=is_child)
    return replace(state, families=_families(state, message))


def state_from_text(text: str) -> IntakeState:
    """An intake state filled from one free-text case description (e.g. a vignette)."""
    return update_state(IntakeState(), text)

"""Red-flag rules: each emergency rule fires on words a patient would use, negations do not."""

from __future__ import annotations

import pytest

from assistant.triage import assess, default_rulebook

EMERGENCY_PHRASINGS = {
    "chest_pain_with_warning_features": [
        "I have crushing chest pain and I'm sweating",
        "pain in my chest going down my left arm",
        "chest tightness and I'm short of breath",
    ],
    "suspected_emergency_named": ["I think I'm having a heart attack"],
    "stroke_signs": [
        "my mum's face is drooping on one side",
        "his speech is slurred and he can't lift his right arm",
        "acute onset weakness this morning",
    ],
    "sudden_vision_loss": ["I suddenly lost the vision in my right eye"],
    "thunderclap_headache": [
        "worst headache of my life",
        "sudden severe headache",
        "the headache came on suddenly, like being hit",
    ],
    "severe_breathing_difficulty": [
        "I can't breathe",
        "my lips are turning blue",
        "he is struggling to breathe and can't speak in full sentences",
    ],
    "airway_swelling": ["my lips and tongue are swelling up", "my throat feels like it's closing"],
    "allergic_reaction_with_breathing_or_faint": ["I was stung by a wasp and now I'm wheezing"],
    "altered_consciousness": [
        "my grandad is confused and doesn't know where he is",
        "she's very drowsy and hard to wake",
    ],
    "seizure": ["my son just had a seizure", "she's having a fit"],
    "heavy_bleeding": [
        "the cut won't stop bleeding",
        "I'm vomiting blood",
        "I'm bleeding heavily",
    ],
    "suicidal_thoughts": ["I want to kill myself", "I keep thinking about ending my life"],
    "poisoning_or_overdose": ["I took too many paracetamol", "my toddler swallowed bleach"],
    "pregnancy_bleeding": ["I'm 8 weeks pregnant and bleeding"],
    "pregnancy_severe_pain": ["I'm pregnant and have severe tummy pain"],
    "pregnancy_warning_signs": ["I'm 34 weeks pregnant and the baby is moving less"],
    "infant_fever_under_3_months": ["my 6 week old baby has a fever of 38.2"],
    "fever_with_meningism_or_nonblanching_rash": ["I have a fever and a stiff neck"],
    "nonblanching_rash": ["she has a rash that doesn't fade when I press a glass on it"],
    "stiff_neck_with_rash": ["stiff neck and a rash on my chest"],
    "fever_rash_headache": ["fever, headache and a rash on his legs"],
    "shock_signs": ["his skin is mottled", "blood pressure 80/50"],
    "child_danger_signs": ["my baby is floppy and not feeding"],
    "child_bloody_diarrhoea_with_pallor_or_low_urine": [
        "my 3 year old has bloody diarrhoea, looks pale and has passed very little urine",
    ],
    "acute_abdomen": ["my belly is rigid like a board"],
    "right_lower_abdominal_pain_with_fever_or_vomiting": [
        "pain in the lower right side of my tummy and I've been vomiting",
    ],
    "testicular_torsion_signs": ["sudden pain in my testicle"],
    "testicular_torsion_named": ["I think it's a twisted testicle"],
    "cauda_equina_signs": ["back pain and numbness between my legs", "I've lost bladder control"],
    "urinary_retention": ["I can't pee at all"],
    "head_injury_with_danger_signs": ["he hit his head and has vomited twice"],
    "major_trauma": ["I fell off a ladder", "there's a bone sticking out of his leg"],
    "tetanus_signs": ["a cut while gardening and now lockjaw"],
    "throat_airway_obstruction": ["sore throat, drooling, can't swallow my saliva"],
    "fever_during_chemotherapy": ["I'm on chemotherapy and have a fever"],
    "diabetic_crisis": ["I'm diabetic and my ketones are high"],
    "chest_pain_or_breathless_with_leg_swelling": ["my calf is swollen and I'm short of breath"],
    "collapse_with_chest_or_heart_symptoms": ["I fainted and my heart was racing"],
    "collapse_with_chest_pain": ["he collapsed after complaining of chest pain"],
    "pregnancy_collapse": ["I'm pregnant and I fainted"],
    "sudden_breathlessness": ["sudden shortness of breath an hour ago"],
    "fever_after_travel_to_malaria_area": ["fever since I came back from Nigeria"],
    "type1_diabetes_with_vomiting": ["I have type 1 diabetes and keep vomiting"],
}

NEGATED = [
    "no chest pain",
    "I don't have any chest pain or sweating",
    "He denies fever, neck stiffness, or rash.",
    "no thoughts of harming myself",
    "I'm not confused",
    "no blood in my vomit",
    "He denies chest pain, shortness of breath, or sweating.",
    "no facial droop or slurred speech",
    "I'm not pregnant and have light bleeding",
    "My baby is 6 weeks old and has no fever.",
    "She has no respiratory, eye, or skin lesions and no seizures.",
    "never had a seizure",
]


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [(rule_id, text) for rule_id, texts in EMERGENCY_PHRASINGS.items() for text in texts],
)
def test_emergency_rule_fires_on_patient_phrasing(rule_id, text):
    result = assess(text)
    assert result.level == "emergency"
    assert rule_id in result.red_flags


def test_every_emergency_rule_has_a_patient_phrasing():
    emergency_ids = {r.id for r in default_rulebook().rules if r.level == "emergency"}
    assert emergency_ids == set(EMERGENCY_PHRASINGS)


@pytest.mark.parametrize("text", NEGATED)
def test_negated_red_flag_does_not_fire(text):
    assert assess(text).red_flags == []


@pytest.mark.parametrize(
    "text",
    [
        "no fever but crushing chest pain spreading to my arm",
        "No fever, crushing chest pain spreading to my arm",
        "No fever. Worst headache of my life.",
        "it's not getting better and now I can't breathe",
    ],
)
def test_negation_does_not_reach_past_its_clause(text):
    assert assess(text).level == "emergency"


def test_red_flag_escalates_whatever_else_is_said():
    text = "Just a mild cold really, getting better, but my face is drooping on one side"
    assert assess(text).level == "emergency"


def test_every_rule_has_a_reason_and_a_source():
    for rule in default_rulebook().rules:
        assert rule.reason.strip() and rule.source.strip(), rule.id


DIAGNOSIS_WORDS = ("stroke", "heart attack", "meningitis", "sepsis", "anaphylaxis",
                   "appendicitis", "cancer", "malaria", "torsion", "tetanus")


def test_reasons_shown_to_patients_name_no_diagnosis():
    for rule in default_rulebook().rules:
        assert not any(w in rule.reason.lower() for w in DIAGNOSIS_WORDS), rule.id


# ---- synthetic cases (written for these tests, not from any data set) --------------------------

@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Synthetic: a 45-year-old woman fell while running and is unable to bear weight on her "
         "right ankle.", "urgent"),
        ("Synthetic: bloody diarrhoea in a child after eating a hamburger, with anaemia.",
         "emergency"),
        ("Synthetic: a 2-year-old with a temperature of 39.5 since this morning.", "urgent"),
        ("Synthetic: I've had a runny nose and sneezing for two days, a bit better today.",
         "self-care"),
        ("Synthetic: burning when I pee for 2 days.", "routine"),
        ("Synthetic: blood in my urine since yesterday, otherwise well.", "urgent"),
        ("Synthetic: a 30-year-old man presents with 3 days of sore throat and cough. He denies "
         "chest pain, shortness of breath, neck stiffness, or rash.", "self-care"),
        ("Synthetic: a 60-year-old with worsening cough for 4 weeks.", "routine"),
        ("Synthetic: I've had a fever for 6 days now.", "urgent"),
    ],
)
def test_synthetic_case_gets_expected_level(text, level):
    assert assess(text).level == level


def test_every_rule_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[1] / "docs" / "triage.md").read_text(encoding="utf-8")
    missing = [r.id for r in default_rulebook().rules if f"`{r.id}`" not in doc]
    assert missing == []


def test_a_past_event_in_a_relative_is_not_a_current_red_flag():
    assert assess("His mother had a stroke and he has a mild cough.").red_flags == []

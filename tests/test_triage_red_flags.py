"""Red-flag rules: each emergency rule fires on words a patient would use, negations do not."""

from __future__ import annotations

import pytest

from assistant.triage import assess, default_rulebook, evaluate
from assistant.triage.red_flags import parse_rulebook

EMERGENCY_PHRASINGS = {
    "both_legs_numb_or_weak": ["i cant feel my legs", "both his legs have gone weak and floppy"],
    "indigestion_with_heart_attack_signs": [
        "my indigestion is bad tonight and ive come out in a sweat, ache going into my jaw",
    ],
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
    "tearing_pain": ["sudden ripping pain going through to my back"],
    "cold_pale_limb_sudden": ["my leg has suddenly gone cold and white"],
    "cold_pale_limb_painful": ["his foot is cold, pale and in agony"],
    "late_period_pain_faint": ["my period is late, bad tummy pain and i nearly passed out"],
    "late_period_shoulder_tip": ["period is 2 weeks late and my shoulder tip aches"],
    "bowel_obstruction_signs": ["havent farted or pooed for 2 days and keep being sick"],
    "irreducible_hernia": ["lump in my groin, i cant push it back in and im vomiting"],
    "sudden_double_vision": ["i suddenly started seeing double an hour ago"],
    "double_vision_with_fever": ["my eye is swollen, i have a fever and im seeing double"],
    "deep_or_large_burn": ["scalded my arm with the kettle and the burn is bigger than my hand"],
    "harm_to_others": ["im hearing voices telling me to hurt my son"],
    "new_diabetes_with_ketoacidosis": [
        "she is always thirsty and now her breath smells of nail varnish"
    ],
    # issue 17, second pass (tests/test_triage_lay_signs.py also checks a look-alike of each)
    "alcohol_withdrawal_hallucinations": [
        "my husband quit the booze three days ago and now he's seeing spiders on the ceiling",
    ],
    "priapism": [
        "my erection still hasn't gone down after three hours and it really hurts",
    ],
    "leg_short_and_turned_out": [
        "grandma slipped in the hall and her leg is turned outwards and looks shorter",
    ],
    "adrenaline_auto_injector_used": [
        "he's allergic to eggs, I've just used his epipen on him",
    ],
    "feeling_of_dying_with_infection": [
        "temp of 39 and honestly I feel like I am going to die",
    ],
    "carbon_monoxide_signs": [
        "all of us at home get headaches that clear up once we are outside, and the gas fire "
        "is old",
    ],
    "wound_pain_out_of_proportion": [
        "scratched my arm on a thorn and the pain is much worse than it looks",
    ],
    "painful_red_eye_with_halos": [
        "my left eye is killing me and i keep seeing coloured rings round the street lights",
    ],
    "chest_pain_at_rest_or_after_stents": [
        "pressure on my chest came on while I was resting and hasn't eased for half an hour",
    ],
    "heat_stroke_signs": [
        "he has been in the sun all day, he's red hot and has stopped sweating",
    ],
    "breathing_or_drowsy_after_submersion": [
        "my son nearly drowned at the pool and now he's breathing fast",
    ],
    "back_pain_leg_weakness_with_cancer": [
        "I had breast cancer in the past and now have back pain and my legs are getting numb",
    ],
    "postnatal_psychosis_signs": [
        "since the baby came my partner is convinced people are spying on her",
    ],
    "redcurrant_jelly_stool": [
        "his nappy had poo in it that looked like red jam",
    ],
    "green_vomit_child": [
        "my 4 month old keeps bringing up green bile",
    ],
    "vomiting_on_steroids": [
        "i take hydrocortisone for addison's and cannot stop being sick",
    ],
    "sickle_cell_warning_signs": [
        "my daughter has sickle cell and her temperature is 38.5",
    ],
    "collapse_during_exercise": [
        "my daughter fainted during netball with no warning",
    ],
    "kidney_pain_with_fever": [
        "pain going from my side down to my groin and a temperature of 38.9",
    ],
    "atypical_heart_attack_signs": [
        "no chest pain but my jaw aches and i have gone clammy",
    ],
    "sudden_tummy_or_back_pain_with_shock": [
        "sudden agonising pain in his back going into his belly and he has gone grey",
    ],
    "torso_injury_with_shock": [
        "got kicked in the ribs at rugby and now i feel faint and clammy",
    ],
    "breathing_problem_after_choking": [
        "he choked on a peanut at lunch and now he's wheezing",
    ],
    "pleuritic_pain_with_breathlessness": [
        "sharp pain in my side when i breathe in and i'm short of breath",
    ],
    "new_diabetes_signs_with_vomiting": [
        "my son is weeing all the time, always thirsty, and now he is vomiting",
    ],
    "testicle_pain_with_vomiting": [
        "my lad has terrible pain in his balls and has thrown up",
    ],
    "sudden_severe_abdominal_pain": [
        "sudden excruciating pain in my belly",
    ],
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


# ---- how patients write (issue 17) -------------------------------------------------------------
# Each phrasing below was written for these tests from how patients describe the sign (NHS lay
# descriptions as the model); none comes from an evaluation set.

LAY_PARAPHRASES = {
    "stroke_signs": ["his face looks droopy on one side", "her smile has gone all lopsided"],
    "nonblanching_rash": ["the spots are still there when I press a glass on them",
                          "tiny purple pinprick spots on her legs"],
    "severe_breathing_difficulty": ["he can only get out a few words between breaths",
                                    "the baby is sucking in under her ribs"],
    "heavy_bleeding": ["his poo is black and sticky like tar", "he's been throwing up blood"],
    "chest_pain_with_warning_features": [
        "a heavy feeling in the middle of my chest and I feel sick",
        "feels like something heavy is sitting on my chest and my jaw aches",
    ],
    "fever_with_meningism_or_nonblanching_rash": ["I'm burning up and my neck is stiff",
                                                  "temp 39.4 and bright light hurts my eyes"],
    "suicidal_thoughts": ["I've been saving up my tablets to take them all",
                          "everyone would be better off without me"],
    "altered_consciousness": ["he's talking nonsense and is really drowsy"],
    "seizure": ["his eyes rolled back and he was jerking all over"],
    "airway_swelling": ["my lips have blown up and my tongue feels too big"],
    "poisoning_or_overdose": ["my toddler has eaten some of grandma's tablets"],
    "cauda_equina_signs": ["I can't feel my bum when I wipe"],
    "sudden_vision_loss": ["I suddenly can't see out of my left eye"],
    "thunderclap_headache": ["a headache out of nowhere, like being hit with a bat"],
}


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [(rule_id, text) for rule_id, texts in LAY_PARAPHRASES.items() for text in texts],
)
def test_lay_paraphrase_fires_the_emergency_rule(rule_id, text):
    assert rule_id in assess(text).red_flags


def test_writhing_in_pain_is_severe_pain():
    assert "severe_pain" in {h.rule_id for h in evaluate("writhing in pain with my side")}


def test_fever_without_the_word_is_a_fever():
    assert "infant_fever_under_3_months" in assess("my 5 week old is hot to the touch").red_flags


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("severe_breathing_difficulty", "i cant breathe"),
        ("altered_consciousness", "he wont wake up"),
        ("altered_consciousness", "she isnt responding"),
        ("pregnancy_bleeding", "im 8 weeks pregnant and bleeding"),
    ],
)
def test_apostrophe_less_form_fires_the_rule(rule_id, text):
    assert rule_id in assess(text).red_flags


def test_apostrophe_less_negation_still_negates():
    assert assess("i dont have chest pain or sweating").red_flags == []


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("chest_pain_with_warning_features", "my chest is really tight and I'm sweating"),
        ("stroke_signs", "his face has kind of dropped"),
        ("fever_with_meningism_or_nonblanching_rash", "a fever and her neck is very stiff"),
    ],
)
def test_filler_words_inside_a_phrase_still_fire(rule_id, text):
    assert rule_id in assess(text).red_flags


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("seizure", "he is having a siezure"),
        ("airway_swelling", "my lips are swolen"),
        ("severe_breathing_difficulty", "she is strugling to breathe"),
    ],
)
def test_a_typo_in_a_rule_word_still_fires(rule_id, text):
    assert rule_id in assess(text).red_flags


@pytest.mark.parametrize(
    "text",
    [
        "I had a seizure as a child and now I have a cold",
        "I took an overdose years ago, now I have a sore throat",
        "history of heavy bleeding, now a cough",
    ],
)
def test_a_past_event_is_not_a_current_red_flag(text):
    assert assess(text).red_flags == []


@pytest.mark.parametrize(
    "text",
    [
        "My mum had a seizure. I have a headache",
        "seizures run in my family and I have a cough",
        "family history of seizures, I have a cough",
    ],
)
def test_a_relatives_illness_is_not_the_patients_red_flag(text):
    assert assess(text).red_flags == []


def test_a_carer_describing_the_patient_now_fires():
    assert "chest_pain_with_warning_features" in assess(
        "my dad is sweating with chest pain right now"
    ).red_flags


def test_a_relatives_stroke_told_as_happening_now_fires():
    assert "stroke_signs" in assess("my grandma had a stroke this morning").red_flags


def test_a_history_condition_still_counts_in_the_past():
    text = "I had a kidney transplant 5 years ago and now have a fever"
    assert "fever_during_chemotherapy" in assess(text).red_flags


def _fired(text: str) -> set[str]:
    return {h.rule_id for h in evaluate(text)}


def test_a_lump_after_a_knock_gets_no_lump_referral():
    assert "new_lump" not in _fired("I have a lump on my shin after a knock yesterday")


def test_a_swollen_gland_with_a_cold_gets_no_lump_referral():
    assert "new_lump" not in _fired("a lump in my neck since a sore throat last week")


def test_an_unexplained_lump_gets_a_referral():
    assert "new_lump" in _fired("I found a lump in my breast")


def test_a_cold_elsewhere_does_not_explain_a_breast_lump():
    assert "new_lump" in _fired("I have a cold and found a lump in my breast")


@pytest.mark.parametrize(
    "text",
    [
        "I can't breathe through my nose because of this cold",
        "I cut myself shaving",
        "I ate a whole box of chocolates and feel sick",
        "I'm worried about having a stroke",
        "it's boiling hot today",
    ],
)
def test_everyday_wording_is_not_a_red_flag(text):
    assert assess(text).red_flags == []


def test_an_emergency_rule_with_unless_is_rejected():
    data = {"terms": {"a": ["a"]}, "rule": [{
        "id": "x", "level": "emergency", "reason": "r", "source": "s", "all": ["a"],
        "unless": [["a"]]}]}
    with pytest.raises(ValueError, match="unless"):
        parse_rulebook(data)


def test_an_include_brings_in_another_groups_patterns():
    book = parse_rulebook({"terms": {"a": ["alpha"], "b": ["@a", "beta"]}, "rule": []})
    assert book.terms["b"].search("alpha")


def test_an_include_of_an_undefined_group_is_rejected():
    with pytest.raises(ValueError, match="undefined"):
        parse_rulebook({"terms": {"b": ["@a"]}, "rule": []})


def test_past_counts_must_name_defined_groups():
    with pytest.raises(ValueError, match="past_counts"):
        parse_rulebook({"scope": {"past_counts": ["zz"]}, "terms": {"a": ["a"]}, "rule": []})

"""Emergency signs told in patients' own words (issue 17): each sign family fires on a lay
paraphrase, and a negated, past or someone else's mention of it does not."""

from __future__ import annotations

import pytest

from assistant.triage import assess, default_rulebook, evaluate

# rule id -> (a lay paraphrase that must fire it, a mention that must not)
LAY_SIGNS = {
    "alcohol_withdrawal_hallucinations": (
        "my husband quit the booze three days ago and now he's seeing spiders on the ceiling",
        "i stopped drinking last month and feel great, no hallucinations at all",
    ),
    "priapism": (
        "my erection still hasn't gone down after three hours and it really hurts",
        "no problems with erections, just asking about a rash",
    ),
    "leg_short_and_turned_out": (
        "grandma slipped in the hall and her leg is turned outwards and looks shorter",
        "gran slipped, her leg isn't shorter or turned out, just a bruise on her knee",
    ),
    "adrenaline_auto_injector_used": (
        "he's allergic to eggs, I've just used his epipen on him",
        "she carries an epipen but we haven't needed it, she is fine",
    ),
    "feeling_of_dying_with_infection": (
        "temp of 39 and honestly I feel like I am going to die",
        "panic attack at work, felt like i was going to die, no fever or infection",
    ),
    "carbon_monoxide_signs": (
        "all of us at home get headaches that clear up once we are outside, and the gas fire "
        "is old",
        "the boiler was serviced last week and nobody at home has been unwell",
    ),
    "wound_pain_out_of_proportion": (
        "scratched my arm on a thorn and the pain is much worse than it looks",
        "the graze looks nasty but there is hardly any pain",
    ),
    "painful_red_eye_with_halos": (
        "my left eye is killing me and i keep seeing coloured rings round the street lights",
        "no halos around lights, my eyes are just tired from screens",
    ),
    "chest_pain_at_rest_or_after_stents": (
        "pressure on my chest came on while I was resting and hasn't eased for half an hour",
        "no chest pain at rest, only a sore throat",
    ),
    "heat_stroke_signs": (
        "he has been in the sun all day, he's red hot and has stopped sweating",
        "i was hot and sweaty after my run, now cooled down and fine",
    ),
    "breathing_or_drowsy_after_submersion": (
        "my son nearly drowned at the pool and now he's breathing fast",
        "we went swimming today and nobody went under, he has a slight cold",
    ),
    "back_pain_leg_weakness_with_cancer": (
        "I had breast cancer in the past and now have back pain and my legs are getting numb",
        "back pain after gardening, no leg weakness or numbness and no history of cancer",
    ),
    "postnatal_psychosis_signs": (
        "since the baby came my partner is convinced people are spying on her",
        "since the baby she is tired and a bit tearful but otherwise herself",
    ),
    "redcurrant_jelly_stool": (
        "his nappy had poo in it that looked like red jam",
        "no jelly-like poo, just a bit loose",
    ),
    "green_vomit_child": (
        "my 4 month old keeps bringing up green bile",
        "i am 40 and have been sick, it was green after the curry",
    ),
    "vomiting_on_steroids": (
        "i take hydrocortisone for addison's and cannot stop being sick",
        "not on any steroids, been sick twice after a takeaway",
    ),
    "sickle_cell_warning_signs": (
        "my daughter has sickle cell and her temperature is 38.5",
        "my cousin had sickle cell crises as a boy, and i have a mild cold",
    ),
    "collapse_during_exercise": (
        "my daughter fainted during netball with no warning",
        "he did not collapse during the match, he just limped off with a sore ankle",
    ),
    "kidney_pain_with_fever": (
        "pain going from my side down to my groin and a temperature of 38.9",
        "had a kidney stone ten years ago, today i have a runny nose",
    ),
    "atypical_heart_attack_signs": (
        "no chest pain but my jaw aches and i have gone clammy",
        "my jaw aches after the dentist pulled a tooth yesterday",
    ),
    "sudden_tummy_or_back_pain_with_shock": (
        "sudden agonising pain in his back going into his belly and he has gone grey",
        "sudden back twinge after lifting a box, not sweaty or dizzy",
    ),
    "torso_injury_with_shock": (
        "got kicked in the ribs at rugby and now i feel faint and clammy",
        "got kicked in the ribs at rugby, bruised but not faint or clammy",
    ),
    "breathing_problem_after_choking": (
        "he choked on a peanut at lunch and now he's wheezing",
        "she choked on a grape but coughed it out, no wheeze, breathing normally",
    ),
    "pleuritic_pain_with_breathlessness": (
        "sharp pain in my side when i breathe in and i'm short of breath",
        "a bit sore when i breathe in after coughing, not breathless at all",
    ),
    "new_diabetes_signs_with_vomiting": (
        "my son is weeing all the time, always thirsty, and now he is vomiting",
        "always thirsty in this heat, no vomiting and peeing normally",
    ),
    "testicle_pain_with_vomiting": (
        "my lad has terrible pain in his balls and has thrown up",
        "my testicle aches a bit after cycling, no vomiting",
    ),
    "sudden_severe_abdominal_pain": (
        "sudden excruciating pain in my belly",
        "no sudden or severe tummy pain, just a bit bloated",
    ),
}

# lay forms added to existing rules' term groups: (rule id, fires, does not fire)
WIDENED = [
    ("poisoning_or_overdose", "I think my little girl swallowed a coin battery from the remote",
     "the battery in the remote is dead, can a toddler chew the remote?"),
    ("poisoning_or_overdose", "he pushed a small round battery up his nose",
     "the smoke alarm battery is low"),
    ("poisoning_or_overdose", "my toddler ate some of his grandads blood pressure tablets",
     "my toddler did not eat any tablets, the box is still sealed"),
    ("heavy_bleeding", "my poos have been black and sticky like tar since sunday",
     "no black stools and no blood"),
    ("heavy_bleeding", "i threw up a mugful of blood after the pub", "no blood in my sick"),
    ("bowel_obstruction_signs",
     "not passed any wind or done a poo for three days and keep retching",
     "been sick once but i'm passing wind and pooing normally"),
    ("suicidal_thoughts",
     "I've been stockpiling my sleeping pills and I think tonight is the night",
     "my mum collects pill boxes as a hobby"),
    ("suicidal_thoughts", "how many of these tablets would be enough to kill me",
     "how many of these tablets can i take in a day for my headache"),
    ("suicidal_thoughts", "I've written letters to my family and I'm driving to the bridge tonight",
     "i'm driving over the bridge tonight to see my family"),
    ("allergic_reaction_with_breathing_or_faint",
     "my son ate a biscuit with peanuts and now his face is puffing up and he keeps coughing",
     "he ate peanuts at lunch, no swelling, no cough, no wheeze"),
    ("stroke_signs", "my left hand suddenly won't work and i keep dropping things",
     "i can't lift my arm above my head since i hurt my shoulder at the gym"),
    ("stroke_signs", "his arm and leg on the left have gone weak", "no weakness on either side"),
    ("sudden_vision_loss", "a dark shadow is creeping across the vision in my right eye",
     "no shadow or curtain over my vision"),
    ("major_trauma", "he fell off the roof onto his back", "he fell off a ladder years ago"),
    ("pregnancy_warning_signs", "I'm 35 weeks and the baby hasn't kicked today",
     "I'm 35 weeks and the baby is kicking loads"),
    ("pregnancy_bleeding", "I'm 20 weeks pregnant and there was a gush of bright red blood",
     "I'm 20 weeks pregnant, no blood at all"),
    ("right_lower_abdominal_pain_with_fever_or_vomiting",
     "pain began near his belly button and went to the bottom right, he's being sick",
     "pain near his belly button, no vomiting, no fever"),
    ("urinary_retention", "haven't been able to wee since yesterday and my bladder is bursting",
     "weeing normally, just a bit often"),
    ("testicular_torsion_named", "one testicle is sitting higher than the other and it is agony",
     "both testicles look the same and there is no pain"),
    ("severe_breathing_difficulty", "I've had 12 puffs of my inhaler and it's not helping",
     "my inhaler helped straight away after two puffs"),
    ("deep_or_large_burn", "my toddler pulled a cup of tea over himself and his arm is blistering",
     "i had a cup of tea and my arm is fine"),
]

# bank-style non-emergencies that rules used to call emergencies
NOT_EMERGENCY = [
    ("suicidal_thoughts", "my 16 year old has been cutting her arm, the cuts are healing and "
                          "she has agreed to see the school counsellor"),
    ("stroke_signs", "since falling on my shoulder i can't lift my arm above shoulder height"),
    ("child_danger_signs", "my 8 year old has had a limp for two days, no injury, no fever"),
    ("severe_breathing_difficulty",
     "my wife snores and keeps stopping breathing at night, then gasps"),
    ("altered_consciousness", "dad has been getting more confused over the past year, slowly"),
]


def test_every_new_rule_has_a_lay_phrasing():
    rules = {r.id: r for r in default_rulebook().rules}
    assert set(LAY_SIGNS) <= set(rules)
    assert all(rules[rule_id].level == "emergency" for rule_id in LAY_SIGNS)


@pytest.mark.parametrize(("rule_id", "text"), [(k, v[0]) for k, v in LAY_SIGNS.items()])
def test_lay_sign_fires_as_emergency(rule_id, text):
    result = assess(text)
    assert result.level == "emergency"
    assert rule_id in result.red_flags


@pytest.mark.parametrize(("rule_id", "text"), [(k, v[1]) for k, v in LAY_SIGNS.items()])
def test_negated_past_or_other_mention_does_not_fire(rule_id, text):
    assert rule_id not in assess(text).red_flags


@pytest.mark.parametrize(("rule_id", "text"), [(r, fires) for r, fires, _ in WIDENED])
def test_widened_rule_fires_on_lay_words(rule_id, text):
    result = assess(text)
    assert result.level == "emergency"
    assert rule_id in result.red_flags


@pytest.mark.parametrize(("rule_id", "text"), [(r, quiet) for r, _, quiet in WIDENED])
def test_widened_rule_ignores_look_alike(rule_id, text):
    assert rule_id not in assess(text).red_flags


@pytest.mark.parametrize(("rule_id", "text"), NOT_EMERGENCY)
def test_non_emergency_look_alike_does_not_fire(rule_id, text):
    assert rule_id not in assess(text).red_flags


def test_reassuring_head_bump_is_not_urgent():
    hits = evaluate("my 3 year old bumped his head on the sofa, cried straight away and is playing "
                    "normally")
    assert "head_injury" not in {h.rule_id for h in hits}


def test_head_bump_with_vomiting_stays_an_emergency():
    result = assess("my 3 year old bumped his head, cried straight away, and has been sick twice")
    assert "head_injury_with_danger_signs" in result.red_flags


def test_indigestion_unlike_usual_with_grey_sweat_and_jaw_pain_is_an_emergency():
    # NHS 'Heart attack': the pain can feel like indigestion; grey, sweating, spreading to the jaw
    result = assess("mum says its her indigestion again but different, she went grey and sweaty "
                    "and it is moving up to her jaw, two rennies have not helped")
    assert result.level == "emergency"


def test_indigestion_settled_by_an_antacid_is_not_an_emergency():
    result = assess("bit of indigestion after a big dinner, a gaviscon sorted it")
    assert result.level != "emergency"


def test_heartburn_in_its_usual_pattern_is_self_care_and_explains_the_chest():
    result = assess("burning behind my breastbone after a big takeaway, worse lying flat, an "
                    "antacid settles it")
    assert result.level == "self-care"


def test_heartburn_that_comes_on_walking_is_not_self_care():
    assert assess("burning in my chest after dinner and also when i walk up the stairs"
                  ).level != "self-care"


def test_a_limb_that_went_to_sleep_and_recovered_is_self_care():
    result = assess("sat on my foot for ages playing games, it went numb and tingly, back to "
                    "normal after walking about")
    assert result.level == "self-care"


def test_sudden_one_sided_numbness_while_sitting_is_still_an_emergency():
    assert assess("sitting on the sofa and suddenly my left arm went numb and my face feels "
                  "droopy").level == "emergency"


def test_a_short_message_the_story_model_does_not_read_still_meets_the_rules():
    # the urgency model skips texts shorter than its training stories; the rules must carry them
    assert assess("cant feel my legs").level == "emergency"


def test_tired_legs_after_exercise_are_not_an_emergency():
    assert assess("my legs feel heavy and weak after the gym yesterday").level != "emergency"


def test_legs_said_to_be_fine_do_not_fire_the_both_legs_rule():
    assert "both_legs_numb_or_weak" not in assess("back ache but my legs feel fine, no numbness"
                                                   ).red_flags

"""Warning signs said indirectly, in other word orders or in the plural, still fire.

One behaviour per test. The texts are written for these tests (not taken from any test batch).
"""

from __future__ import annotations

from assistant.triage.red_flags import evaluate


def fired(text: str) -> set[str]:
    return {h.rule_id for h in evaluate(text)}


def test_feeling_a_burden_on_everyone_is_a_suicide_warning_sign():
    assert "suicidal_thoughts" in fired("honestly i just feel like a burden on my family lately")


def test_putting_affairs_in_order_is_a_suicide_warning_sign():
    assert "suicidal_thoughts" in fired("ive been getting my affairs in order this week")


def test_giving_away_belongings_is_a_suicide_warning_sign():
    assert "suicidal_thoughts" in fired("started giving away all my stuff to friends")


def test_not_wanting_to_be_a_burden_by_calling_is_not_a_crisis():
    assert "suicidal_thoughts" not in fired("dont want to be a burden on anyone, its only a cough")


def test_putting_weight_on_a_foot_is_not_being_a_burden():
    assert "suicidal_thoughts" not in fired("cant put my weight on my foot since the fall")


def test_periods_in_the_plural_count_as_a_late_period():
    text = "my periods are 2 weeks late, pain low down on the right and i nearly fainted"
    assert "late_period_pain_faint" in fired(text)


def test_a_chemical_splashed_into_an_eye_fires_whatever_the_word_order():
    assert "sudden_vision_loss" in fired("my son sprayed bleach in his eye by accident")


def test_a_child_who_might_have_swallowed_tablets_is_a_poisoning():
    text = "my toddler was holding grandads pill box open, might have swallowed some tablets"
    assert "poisoning_or_overdose" in fired(text)


def test_not_knowing_how_many_tablets_a_child_took_is_a_poisoning():
    text = "found him by the cupboard, dont know how many he took"
    assert "poisoning_or_overdose" in fired(text)


def test_having_the_tablets_ready_is_a_suicide_plan():
    assert "suicidal_thoughts" in fired("ive thought it through and the pills are all ready")


def test_a_prescription_ready_to_collect_is_not_a_suicide_plan():
    assert "suicidal_thoughts" not in fired("my tablets are ready to collect at the chemist")


def test_a_burn_with_white_leathery_skin_is_an_emergency():
    text = "spilt boiling water on my leg, one bit has gone white and leathery"
    assert "deep_or_large_burn" in fired(text)


def test_a_small_red_burn_is_not_a_deep_burn():
    assert "deep_or_large_burn" not in fired("burnt my finger on the oven, its red and sore")


def test_a_voice_telling_a_mother_to_hurt_her_baby_is_an_emergency():
    assert "harm_to_others" in fired("theres a voice in my head telling me to harm the baby")


def test_thirst_and_weeing_with_pear_drop_breath_is_ketoacidosis():
    text = "hes always thirsty and weeing all the time, now his breath smells of pear drops"
    assert "new_diabetes_with_ketoacidosis" in fired(text)

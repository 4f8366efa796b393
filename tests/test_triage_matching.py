"""Scope-aware matching: what a negation, past or other-person cue reaches, and surface form."""

from __future__ import annotations

from assistant.triage.matching import (
    NEGATED,
    OTHER_PERSON,
    PAST,
    compile_group,
    find_mentions,
    fix_typos,
    normalise,
)
from assistant.triage.red_flags import english_lexicon

GROUPS = {
    "chest_pain": compile_group(["chest pain"]),
    "fever": compile_group([r"fever\w*"]),
    "rash": compile_group([r"rash\w*"]),
    "sweating": compile_group([r"sweat\w*"]),
    "seizure": compile_group([r"seizur\w*"]),
    "stroke": compile_group([r"(had|having) a stroke"]),
    "heart_attack": compile_group(["heart attack"]),
    "clot": compile_group([r"clots?"]),
    "breathing": compile_group([r"(can't|cannot) breathe"]),
    "diabetes": compile_group([r"diabet\w*"]),
    "nonfading_rash": compile_group(["rash that doesn't fade"]),
    "chest_tight": compile_group(["chest {gap}tight"]),
}


def present(text: str) -> frozenset[str]:
    return find_mentions(normalise(text), GROUPS).present


def reasons(text: str, past_counts: frozenset[str] = frozenset()) -> dict[str, str | None]:
    found = find_mentions(normalise(text), GROUPS, past_counts)
    return {m.group: m.excluded_by for m in found.mentions}


# ---- negation ---------------------------------------------------------------------------------

def test_normalise_lowercases_and_straightens_quotes():
    assert normalise("I Don\u2019t  have\tFEVER") == "i don't have fever"


def test_cue_before_term_negates_it():
    assert "chest_pain" not in present("no chest pain")


def test_negated_list_is_negated_throughout():
    assert present("denies fevers, sweating, or rash") == frozenset()


def test_but_ends_the_negation():
    assert present("no fever but chest pain") == {"chest_pain"}


def test_comma_ends_the_negation_when_no_list_follows():
    assert present("no fever, chest pain spreading to my arm") == {"chest_pain"}


def test_and_with_a_new_subject_ends_the_negation():
    assert present("no fever and she has a rash") == {"rash"}


def test_full_stop_ends_the_negation():
    assert present("No fever. Chest pain.") == {"chest_pain"}


def test_pseudo_negation_does_not_negate():
    assert present("not getting better, now a rash and sweating") == {"rash", "sweating"}


def test_term_after_the_window_is_not_negated():
    text = "no problems at all until this week when i started noticing a rash"
    assert present(text) == {"rash"}


def test_denied_lists_groups_only_mentioned_negated():
    found = find_mentions(normalise("no fever, but a rash"), GROUPS)
    assert found.denied == {"fever"}


def test_a_cue_inside_a_matched_term_belongs_to_that_term():
    assert present("a rash that doesn't fade and a fever") >= {"nonfading_rash", "fever"}


# ---- apostrophes ------------------------------------------------------------------------------

def test_normalise_restores_missing_apostrophes():
    assert normalise("Im scared, I cant breathe and it isnt stopping") == (
        "i'm scared, i can't breathe and it isn't stopping"
    )


def test_normalise_restores_an_apostrophe_typed_as_a_space():
    assert normalise("I don t have a fever") == "i don't have a fever"


def test_wont_as_a_noun_keeps_its_spelling():
    assert normalise("as was his wont") == "as was his wont"


def test_apostrophe_less_negation_still_negates():
    assert present("i dont have a fever") == frozenset()


def test_apostrophe_less_cant_never_negates():
    assert present("i cant breathe") == {"breathing"}


# ---- filler words ({gap}) ---------------------------------------------------------------------

def test_gap_takes_up_to_two_words():
    assert present("my chest has gone tight") == {"chest_tight"}


def test_gap_does_not_count_intensifiers_and_hedges():
    assert present("my chest has gone really kind of tight") == {"chest_tight"}


def test_gap_takes_no_more_than_two_words():
    assert present("my chest is sometimes getting tight") == frozenset()


def test_gap_never_holds_a_negation():
    assert present("my chest is not tight") == frozenset()


def test_gap_never_crosses_punctuation():
    assert present("my chest, tight") == frozenset()


# ---- past -------------------------------------------------------------------------------------

def test_a_remote_time_after_the_term_makes_it_past():
    assert reasons("I had a heart attack 10 years ago") == {"heart_attack": PAST}


def test_a_childhood_event_is_past():
    assert reasons("I had seizures as a child") == {"seizure": PAST}


def test_a_year_makes_an_event_past():
    assert reasons("I had a clot in 2019") == {"clot": PAST}


def test_history_of_makes_a_term_past():
    assert reasons("history of seizures") == {"seizure": PAST}


def test_a_remote_time_before_the_term_makes_it_past():
    assert reasons("10 years ago I had a clot") == {"clot": PAST}


def test_a_duration_history_is_the_current_illness():
    assert present("a 3-day history of fever") == {"fever"}


def test_present_perfect_is_current():
    assert present("I've had a fever for 3 days") == {"fever"}


def test_a_recent_event_is_current():
    assert present("she had a seizure this morning") == {"seizure"}


def test_the_past_scope_ends_at_now():
    assert present("a clot 2 years ago and now chest pain") == {"chest_pain"}


def test_ongoing_since_a_past_event_is_current():
    assert present("chest pain since my heart attack 2 years ago") == {"chest_pain"}


def test_a_history_group_counts_in_the_past():
    assert reasons("diabetic for 10 years, diagnosed 10 years ago", frozenset({"diabetes"})) == {
        "diabetes": None
    }


# ---- other person -----------------------------------------------------------------------------

def test_a_relatives_past_illness_is_someone_elses():
    assert reasons("my mum had a stroke") == {"stroke": OTHER_PERSON}


def test_a_relatives_death_is_someone_elses():
    assert reasons("my dad died of a heart attack") == {"heart_attack": OTHER_PERSON}


def test_family_history_is_someone_elses():
    assert reasons("family history of seizures") == {"seizure": OTHER_PERSON}


def test_runs_in_the_family_is_someone_elses():
    assert reasons("seizures run in the family") == {"seizure": OTHER_PERSON}


def test_a_carer_describing_someone_now_describes_the_patient():
    assert present("my dad is sweating with chest pain right now") == {"sweating", "chest_pain"}


def test_a_relatives_event_told_as_happening_now_counts():
    assert present("my dad had a seizure ten minutes ago") == {"seizure"}


def test_a_childs_event_told_by_a_parent_counts():
    assert present("my son had a seizure") == {"seizure"}


def test_the_patients_own_symptom_after_a_relatives_counts():
    assert present("my mum had a stroke and I have chest pain") == {"chest_pain"}


def test_negation_is_reported_before_past_and_other_person():
    assert reasons("my dad never had a seizure") == {"seizure": NEGATED}


# ---- typos ------------------------------------------------------------------------------------

def test_a_swapped_pair_of_letters_is_corrected_to_a_rule_word():
    assert fix_typos("she had a siezure", GROUPS, english_lexicon()) == "she had a seizure"


def test_a_left_out_letter_is_corrected_when_it_makes_a_term_match():
    assert fix_typos("a feaver and a rash", GROUPS, english_lexicon()) == "a fever and a rash"


def test_an_unknown_word_with_no_rule_meaning_stays_as_typed():
    assert fix_typos("i take sertaline daily", GROUPS, english_lexicon()) == (
        "i take sertaline daily"
    )


def test_an_english_word_is_never_corrected():
    assert fix_typos("i play chess", {"chest": compile_group(["chest"])}, english_lexicon()) == (
        "i play chess"
    )


def test_a_far_substitution_is_not_a_typo():
    groups = {"chills": compile_group(["chills"])}
    assert fix_typos("my childs cough", groups, english_lexicon()) == "my childs cough"


def test_words_under_five_letters_are_never_corrected():
    assert fix_typos("a fevr", GROUPS, english_lexicon()) == "a fevr"


def test_once_after_the_term_makes_it_past():
    assert reasons("I had a seizure once") == {"seizure": PAST}


def test_once_before_a_subject_means_when_and_is_current():
    assert present("I had a seizure once I stood up") == {"seizure"}


def test_once_in_the_present_perfect_counts_times_in_this_illness():
    assert present("he has had a seizure once") == {"seizure"}
    assert present("she's been sweating once or twice today") == {"sweating"}


def test_previously_well_is_not_a_past_cue():
    assert present("a previously healthy boy has a fever") == {"fever"}


def test_a_present_tense_verb_ends_the_past_scope():
    assert present("prior knee surgery she has a fever") == {"fever"}

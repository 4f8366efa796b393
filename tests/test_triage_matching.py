"""Negation-aware matching: what a negation cue reaches and what it does not."""

from __future__ import annotations

from assistant.triage.matching import compile_group, find_mentions, normalise

GROUPS = {
    "chest_pain": compile_group(["chest pain"]),
    "fever": compile_group([r"fever\w*"]),
    "rash": compile_group([r"rash\w*"]),
    "sweating": compile_group([r"sweat\w*"]),
}


def present(text: str) -> frozenset[str]:
    return find_mentions(normalise(text), GROUPS).present


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

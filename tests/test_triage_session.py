"""The intake conversation: fills the state over turns, escalates on the turn a red flag appears."""

from __future__ import annotations

import pytest

from assistant.triage import EMERGENCY_MESSAGE, IntakeSession, build_summary, validate

ROUTINE_CONVERSATION = [
    "I've had a sore throat and a cough",
    "no",
    "it started 3 days ago, gradually, about 4/10",
    "a runny nose but no fever",
    "34, female",
    "no",
    "asthma, and I use a salbutamol inhaler",
    "no allergies",
]


def run(messages: list[str]) -> tuple[IntakeSession, list]:
    session = IntakeSession()
    return session, [session.reply(m) for m in messages]


def test_multi_turn_intake_fills_the_state():
    session, turns = run(ROUTINE_CONVERSATION)
    s = session.state
    assert turns[-1].done
    assert s.chief_complaint == "I've had a sore throat and a cough"
    assert (s.duration_days, s.onset, s.severity) == (3, "gradual", "4/10")
    assert (s.age_years, s.sex, s.pregnant) == (34, "female", False)
    assert s.chronic_conditions == ("asthma",) and s.medicines == ("inhaler",)
    assert s.location == "throat" and s.associated_symptoms == ("runny or blocked nose",)
    assert s.allergies == () and "fever" in s.denied_symptoms


def test_completed_intake_produces_a_valid_summary():
    session, _ = run(ROUTINE_CONVERSATION)
    summary = build_summary(session.state, session.result)
    assert validate(summary) == []
    assert summary["missing_fields"] == []


def test_conversation_asks_at_most_two_questions_per_turn():
    _, turns = run(ROUTINE_CONVERSATION)
    assert all(t.message.count("?") <= 2 for t in turns if not t.done)


def test_emergency_escalates_on_the_turn_the_red_flag_appears():
    _, turns = run(["I have a headache", "no", "it started an hour ago and now my arm is weak "
                    "on the left side and my speech is slurred"])
    assert [t.result.level == "emergency" for t in turns] == [False, False, True]
    assert turns[2].message.startswith(EMERGENCY_MESSAGE)
    assert turns[2].done and "stroke_signs" in turns[2].result.red_flags


def test_escalation_message_gives_the_reasons():
    _, turns = run(["crushing chest pain and I'm sweating"])
    assert "Chest pain or pressure together with sweating" in turns[0].message


def test_yes_to_the_warning_sign_question_escalates():
    _, turns = run(["I feel unwell", "yes"])
    assert turns[1].result.level == "emergency"


def test_level_never_drops_after_an_escalation():
    _, turns = run(["I want to end my life", "actually I'm fine, just a cold"])
    assert turns[1].result.level == "emergency"


def test_assistant_messages_name_no_diagnosis():
    _, turns = run(ROUTINE_CONVERSATION)
    words = ("stroke", "heart attack", "meningitis", "sepsis", "infection", "flu", "cold ")
    assert not any(w in t.message.lower() for t in turns for w in words)


def test_a_headache_revealed_as_sudden_and_worst_ever_escalates_on_the_second_turn():
    _, turns = run(["I have a headache", "it started suddenly an hour ago, worst ever"])
    assert [t.result.level for t in turns] == ["self-care", "emergency"]
    assert turns[1].message.startswith(EMERGENCY_MESSAGE)


def test_a_suicide_plan_revealed_late_escalates_on_that_turn_with_crisis_contacts():
    _, turns = run([
        "I haven't been feeling myself lately",
        "no",
        "a few weeks, slowly, maybe a 5",
        "nowhere really, I just feel really low",
        "I've been saving up my tablets so I can end it all",
    ])
    assert [t.result.level == "emergency" for t in turns] == [False] * 4 + [True]
    last = turns[-1]
    assert last.result.crisis and last.done
    assert "988" in last.message and "116 123" in last.message
    assert "local emergency number" in last.message


def test_after_a_crisis_the_intake_asks_no_more_questions():
    _, turns = run(["I want to end my life", "I also have a fever"])
    assert turns[1].result.crisis and turns[1].done
    assert "Samaritans" in turns[1].message and "fever" not in turns[1].message


def test_well_yes_the_chest_pain_to_the_warning_question_escalates():
    _, turns = run(["I feel unwell", "well yes, the chest pain"])
    assert turns[1].result.level == "emergency"


def test_dont_know_to_an_emergency_screen_is_not_self_care():
    _, turns = run(["I have a headache", "i dont know"])
    assert turns[1].result.level == "urgent"


def test_a_story_with_a_complaint_family_gets_that_familys_warning_questions():
    _, turns = run(["I have a pain in my chest"])
    assert "spreading to your arm, jaw, neck or back" in turns[0].message
    assert "drooping face" not in turns[0].message


def play_with_no_answers(first: str, limit: int = 15) -> list:
    session, turns = IntakeSession(), []
    for message in [first, *["no"] * limit]:
        turns.append(session.reply(message))
        if turns[-1].done:
            break
    return turns


@pytest.mark.parametrize(
    "story",
    ["my 2 year old daughter has a tummy ache and has been feeling very low",
     "my 2 year old daughter isn't herself today"],
)
def test_a_parent_of_a_toddler_is_never_asked_about_self_harm_or_pregnancy(story):
    turns = play_with_no_answers(story)
    asked = " ".join(t.message.lower() for t in turns)
    assert turns[-1].done and "your child" in asked
    assert "harm" not in asked and "pregnan" not in asked


def test_unsure_about_thoughts_of_self_harm_gives_crisis_contacts():
    _, turns = run(["I've been feeling really low", "i don't know"])
    assert turns[1].result.level == "urgent" and "116 123" in turns[1].message


class FixedSigns:
    """A tiny deterministic meaning layer: always recognises the same term groups."""

    def groups(self, text: str) -> frozenset[str]:
        return frozenset({"suicidal"})


def test_the_session_consults_its_meaning_layer_every_turn():
    turn = IntakeSession(signs=FixedSigns()).reply("I feel a bit odd")
    assert (turn.result.level, turn.result.source, turn.result.crisis) == (
        "emergency", "rules+meaning", True)

"""The intake conversation: fills the state over turns, escalates on the turn a red flag appears."""

from __future__ import annotations

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

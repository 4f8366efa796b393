"""Clinician summary: JSON that matches its schema, readable text, exported to files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from assistant.triage import (
    IntakeSession,
    IntakeState,
    assess,
    build_summary,
    export_summary,
    to_json,
    to_text,
    update_state,
    validate,
)

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def summary_for(text: str) -> dict:
    state = update_state(IntakeState(), text)
    return build_summary(state, assess(text, state), now=NOW)


def test_summary_matches_its_schema():
    assert validate(summary_for("A 40-year-old woman with 2 days of vaginal itching")) == []


def test_schema_check_catches_an_unknown_level():
    summary = summary_for("sore throat")
    summary["triage"]["level"] = "later"
    assert validate(summary)


def test_summary_json_round_trips():
    summary = summary_for("sore throat for 2 days")
    assert json.loads(to_json(summary)) == summary


def test_text_summary_shows_level_reasons_and_patient_words():
    text = to_text(summary_for("crushing chest pain and sweating"))
    assert "Level: EMERGENCY" in text
    assert "chest_pain_with_warning_features" in text
    assert "> crushing chest pain and sweating" in text


def test_export_writes_json_and_text(tmp_path):
    json_path, text_path = export_summary(summary_for("sore throat"), tmp_path / "case-1")
    assert json.loads(json_path.read_text())["schema"] == "medchat.triage.summary/2"
    assert text_path.read_text().startswith("TRIAGE SUMMARY")


def headache_left_unanswered() -> dict:
    session = IntakeSession()
    for message in ("I have a headache", "hmm, it's on the left side"):
        session.reply(message)
    return build_summary(session.state, session.result, now=NOW)


def test_unanswered_warning_sign_questions_are_listed_as_unknown():
    summary = headache_left_unanswered()
    sign = next(w for w in summary["warning_signs"]
                if w["id"] == "screen:headache_sudden_or_worst")
    assert (sign["asked"], sign["answer"]) == (True, None)
    assert "screen:headache_sudden_or_worst" in summary["missing_fields"]
    assert "screen:headache_sudden_or_worst" in summary["unanswered_fields"]


def test_text_summary_marks_an_unanswered_warning_sign_question_unknown():
    assert "UNKNOWN (asked, not answered)" in to_text(headache_left_unanswered())


def test_summary_with_warning_signs_matches_its_schema():
    assert validate(headache_left_unanswered()) == []


def test_summary_records_the_answers_read_from_free_replies():
    session = IntakeSession()
    for message in ("I have a headache", "no", "no", "it started yesterday, gradually, maybe a 4"):
        session.reply(message)
    summary = build_summary(session.state, session.result, now=NOW)
    complaint = summary["presenting_complaint"]
    assert (complaint["onset"], complaint["duration_days"], complaint["severity"]) == (
        "gradual", 1.0, "4/10")
    assert {w["answer"] for w in summary["warning_signs"]} == {"no"}

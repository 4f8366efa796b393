"""Clinician summary: JSON that matches its schema, readable text, exported to files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from assistant.triage import (
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
    assert json.loads(json_path.read_text())["schema"] == "medchat.triage.summary/1"
    assert text_path.read_text().startswith("TRIAGE SUMMARY")

"""Patient triage intake: history taking, red-flag rules, level of care, clinician summary.

Public API:
- `assess(text, state=None, model=None, signs=None) -> TriageResult` triages a free-text case.
- `IntakeSession(model=None, signs=None).reply(message) -> IntakeTurn` runs the multi-turn
  intake conversation (complaint protocols, crisis handling, safe defaults).
- `build_summary(state, result)`, `to_json`, `to_text`, `export_summary`, `SUMMARY_SCHEMA`.
"""

from assistant.triage.decision import TriageResult, assess
from assistant.triage.intake import IntakeState, update_state
from assistant.triage.levels import LEVELS, three_level
from assistant.triage.protocols import default_protocols, detect_families
from assistant.triage.questions import next_questions
from assistant.triage.red_flags import default_rulebook, evaluate
from assistant.triage.session import (
    CRISIS_MESSAGE,
    EMERGENCY_MESSAGE,
    IntakeSession,
    IntakeTurn,
    advance,
)
from assistant.triage.summary import (
    SUMMARY_SCHEMA,
    build_summary,
    export_summary,
    to_json,
    to_text,
    validate,
)

__all__ = [
    "CRISIS_MESSAGE",
    "EMERGENCY_MESSAGE",
    "LEVELS",
    "SUMMARY_SCHEMA",
    "IntakeSession",
    "IntakeState",
    "IntakeTurn",
    "TriageResult",
    "advance",
    "assess",
    "build_summary",
    "default_protocols",
    "default_rulebook",
    "detect_families",
    "evaluate",
    "export_summary",
    "next_questions",
    "three_level",
    "to_json",
    "to_text",
    "update_state",
    "validate",
]

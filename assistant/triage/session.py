"""The multi-turn intake conversation: each patient message updates the state, is triaged at
once, and is answered with either an emergency escalation, the next one or two questions, or
the final advice. The assistant's words come from fixed templates, so it never names a diagnosis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from assistant.triage.decision import TriageResult, decide
from assistant.triage.intake import IntakeState, mark_unanswered, next_questions, update_state
from assistant.triage.levels import ADVICE, most_urgent, rank

log = logging.getLogger(__name__)

EMERGENCY_MESSAGE = ADVICE["emergency"]
GREETING = (
    "I can help you decide what kind of care you need. I can't diagnose, but I will ask a few "
    "questions. " + "What is the main problem or symptom that is bothering you today?"
)


@dataclass(frozen=True)
class IntakeTurn:
    """What the assistant says after one patient message, and where the intake stands."""

    message: str
    state: IntakeState
    result: TriageResult
    done: bool


def _reasons_text(result: TriageResult) -> str:
    return "\n".join(f"- {r}" for r in result.reasons)


def _escalation(result: TriageResult) -> str:
    return f"{EMERGENCY_MESSAGE}\n\nWhy:\n{_reasons_text(result)}"


def _final(result: TriageResult) -> str:
    return (
        f"Thank you, that is everything I need. {ADVICE[result.level]}\n\nWhy:\n"
        f"{_reasons_text(result)}\n\nI have prepared a summary you can show the clinician. "
        "If anything changes or you get worse, contact a clinician straight away."
    )


def _keep_most_urgent(previous: TriageResult | None, current: TriageResult) -> TriageResult:
    """Within one conversation the level never drops: an escalation stays escalated."""
    if previous is None or rank(current.level) >= rank(previous.level):
        return current
    return replace(
        previous,
        level=most_urgent(previous.level, current.level),
        red_flags=list(dict.fromkeys([*previous.red_flags, *current.red_flags])),
    )


def advance(
    state: IntakeState,
    message: str,
    model: object | None = None,
    previous: TriageResult | None = None,
) -> IntakeTurn:
    """One conversation step: fold in the message, triage everything said so far, respond."""
    state = mark_unanswered(update_state(state, message))
    result = _keep_most_urgent(previous, decide(state.transcript, state, model))
    state = replace(state, red_flags=tuple(result.red_flags))
    if result.level == "emergency":
        log.warning("triage escalation: %s", ",".join(result.red_flags))
        return IntakeTurn(_escalation(result), replace(state, asked=()), result, done=True)
    questions = next_questions(state)
    if not questions:
        return IntakeTurn(_final(result), replace(state, asked=()), result, done=True)
    log.info("triage asking: %s", ",".join(name for name, _ in questions))
    text = " ".join(q for _, q in questions)
    prefix = "Thank you. " if state.patient_statements else ""
    return IntakeTurn(
        prefix + text, replace(state, asked=tuple(n for n, _ in questions)), result, done=False
    )


class IntakeSession:
    """A conversation with one patient; holds the latest state and result between turns."""

    def __init__(self, model: object | None = None) -> None:
        self.model = model
        self.state = IntakeState(asked=("chief_complaint",))
        self.result: TriageResult | None = None
        self.done = False

    @property
    def greeting(self) -> str:
        return GREETING

    def reply(self, user_message: str) -> IntakeTurn:
        """Take the patient's message and return the assistant's answer for this turn."""
        turn = advance(self.state, user_message, self.model, self.result)
        self.state, self.result, self.done = turn.state, turn.result, turn.done
        return turn

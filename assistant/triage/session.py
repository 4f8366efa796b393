"""The multi-turn intake conversation: each patient message updates the state, is triaged at
once, and is answered with a crisis message, an emergency escalation, the next one or two
questions, or the final advice. The assistant's words come from fixed templates, so it never
names a diagnosis.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from assistant.triage.decision import TriageResult, decide
from assistant.triage.intake import IntakeState, update_state
from assistant.triage.levels import ADVICE, most_urgent, rank
from assistant.triage.protocols import SCREEN_PREFIX, UNSURE, crisis_screens
from assistant.triage.questions import SCREEN_PROMPT, mark_unanswered, next_questions

log = logging.getLogger(__name__)

EMERGENCY_MESSAGE = ADVICE["emergency"]
GREETING = (
    "I can help you decide what kind of care you need. I can't diagnose, but I will ask a few "
    "questions. " + "What is the main problem or symptom that is bothering you today?"
)
CRISIS_LINES = (
    "You can talk to someone right now, at any time of day: in the US, call or text 988; in the "
    "UK or Ireland, call Samaritans on 116 123; anywhere else, call your local emergency number "
    "or a local crisis line."
)
# Safe-messaging practice (Samaritans, 988 Lifeline): acknowledge, give immediate routes to help,
# encourage staying with someone and keeping away from means; never a list of questions.
CRISIS_MESSAGE = (
    "Thank you for telling me. What you have told me means you should get help now.\n"
    "- If you have taken something or hurt yourself, or you might act on thoughts of ending your "
    "life, call your local emergency number now (for example 911, 999 or 112) or go to the "
    "nearest emergency department.\n"
    f"- {CRISIS_LINES}\n"
    "- If you can, stay with someone you trust, and keep away from anything you could use to "
    "harm yourself.\n"
    "You do not have to go through this alone."
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


def _crisis(result: TriageResult) -> str:
    return f"{CRISIS_MESSAGE}\n\nWhy:\n{_reasons_text(result)}"


def _final(result: TriageResult) -> str:
    return (
        f"Thank you, that is everything I need. {ADVICE[result.level]}\n\nWhy:\n"
        f"{_reasons_text(result)}\n\nI have prepared a summary you can show the clinician. "
        "If anything changes or you get worse, contact a clinician straight away."
    )


def _keep_most_urgent(previous: TriageResult | None, current: TriageResult) -> TriageResult:
    """Within one conversation the level never drops and a crisis stays a crisis."""
    if previous is None:
        return current
    crisis = previous.crisis or current.crisis
    if rank(current.level) >= rank(previous.level):
        return replace(current, crisis=crisis)
    return replace(
        previous,
        level=most_urgent(previous.level, current.level),
        red_flags=list(dict.fromkeys([*previous.red_flags, *current.red_flags])),
        crisis=crisis,
    )


def _ask(state: IntakeState, questions: list[tuple[str, str]]) -> str:
    text = " ".join(q for _, q in questions)
    screens = sum(name.startswith(SCREEN_PREFIX) for name, _ in questions)
    if screens:
        text += " " + SCREEN_PROMPT[screens]
    prefix = "Thank you. " if state.patient_statements else ""
    return prefix + text


def advance(
    state: IntakeState,
    message: str,
    model: object | None = None,
    previous: TriageResult | None = None,
    signs: object | None = None,
    urgency: object | None = None,
) -> IntakeTurn:
    """One conversation step: fold in the message, triage everything said so far, respond."""
    state = mark_unanswered(update_state(state, message))
    result = _keep_most_urgent(
        previous, decide(state.transcript, state, model, signs, urgency)
    )
    state = replace(state, red_flags=tuple(result.red_flags))
    if result.crisis:
        log.warning("triage crisis: %s", ",".join(result.red_flags))
        return IntakeTurn(_crisis(result), replace(state, asked=()), result, done=True)
    if result.level == "emergency":
        log.warning("triage escalation: %s", ",".join(result.red_flags))
        return IntakeTurn(_escalation(result), replace(state, asked=()), result, done=True)
    support = UNSURE in crisis_screens(state.screen_answers).values()
    lead = f"{CRISIS_LINES}\n\n" if support else ""
    questions = next_questions(state)
    if not questions:
        return IntakeTurn(lead + _final(result), replace(state, asked=()), result, done=True)
    log.info("triage asking: %s", ",".join(name for name, _ in questions))
    return IntakeTurn(
        lead + _ask(state, questions),
        replace(state, asked=tuple(n for n, _ in questions)),
        result,
        done=False,
    )


class IntakeSession:
    """A conversation with one patient; holds the latest state and result between turns.

    `model` (score_options), `signs` (groups) and `urgency` (whole-story scores) are optional,
    duck-typed helpers that may raise the level; see `decision.decide`.
    """

    def __init__(
        self,
        model: object | None = None,
        signs: object | None = None,
        urgency: object | None = None,
    ) -> None:
        self.model = model
        self.signs = signs
        self.urgency = urgency
        self.state = IntakeState(asked=("chief_complaint",))
        self.result: TriageResult | None = None
        self.done = False

    @property
    def greeting(self) -> str:
        return GREETING

    def reply(self, user_message: str) -> IntakeTurn:
        """Take the patient's message and return the assistant's answer for this turn."""
        turn = advance(self.state, user_message, self.model, self.result, self.signs,
                       self.urgency)
        self.state, self.result, self.done = turn.state, turn.result, turn.done
        return turn

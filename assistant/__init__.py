"""Assistant: literature answers with citations, constrained choices, and patient triage."""

from assistant.records import ABSTAIN, DISCLAIMER, Answer, Choice, Citation

__all__ = ["ABSTAIN", "DISCLAIMER", "Answer", "Choice", "Citation"]

"""One decision for yes/no questions, shared by `Assistant.answer` (the verdict stated first) and
`Assistant.choose` (the yes/no/maybe label), so the two never disagree.

The verdict reader (`assistant/reader.py`) gives P(yes), P(no), P(maybe) from the top-ranked
abstract's findings. The verdict is the most likely label ("maybe" is "unclear"); it is stated
plainly ("Yes, according to [1].") when its probability reaches the reader's threshold, chosen
on development data so that such verdicts are right about three times in four, and as a lean
("Probably yes, ...") below it. A trial effect question ("How does X compared with Y affect Z?")
gets the direction the reader finds in that abstract's sentence on that outcome, stated the same
way. On held-out PubMedQA topics the most likely label was right on 0.70 of questions against a
majority class of 0.51 (model card: `assistant/readers/medchat-verdict/README.md`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

OPTIONS = ("yes", "no", "maybe")

_YES_NO = re.compile(
    r"^\s*(is|are|was|were|do|does|did|can|could|should|will|would|has|have|had|may|might|"
    r"must|shall|isn't|aren't|doesn't|don't)\b",
    re.IGNORECASE,
)
_PART = re.compile(r"[:;.?!]\s+|\s*--\s*")  # a title or a first sentence before the question itself


def is_yes_no_question(question: str) -> bool:
    """A question answered by yes or no: it, or its last part after a title ("Body dysmorphic
    disorder: does it have a psychotic subtype?"), opens with an auxiliary verb."""
    parts = _PART.split(question.strip())
    return bool(_YES_NO.match(question)) or (
        question.rstrip().endswith("?") and bool(_YES_NO.match(parts[-1]))
    )


_COMPARED = re.compile(r"\b(compared (with|to)|versus|vs\.?)\s", re.IGNORECASE)
_EFFECT = re.compile(r"\b(how (does|do|did)\b.*\baffect|effects? of|impact of)\b", re.IGNORECASE)


def is_effect_question(question: str) -> bool:
    """A question about a trial's effect of one treatment against another on an outcome, in
    Evidence Inference's shape ("How does X compared with Y affect Z?", "Effect of X versus Y on
    Z?"): its verdict is the direction of the effect."""
    return bool(_COMPARED.search(question)) and bool(_EFFECT.search(question))


def decide(probabilities: Mapping[str, float]) -> str:
    """"yes", "no" or "unclear": the most likely of yes / no / maybe."""
    missing = set(OPTIONS) - set(probabilities)
    if missing:
        raise ValueError(f"decide needs the probabilities of {sorted(missing)}")
    best = max(OPTIONS, key=lambda o: probabilities[o])
    return "unclear" if best == "maybe" else best


def is_sure(probabilities: Mapping[str, float], threshold: float) -> bool:
    """A verdict stated plainly: a yes or no whose probability reaches `threshold`."""
    verdict = decide(probabilities)
    return verdict != "unclear" and probabilities[verdict] >= threshold


def as_label(verdict: str) -> str:
    """The yes/no/maybe label of a verdict ("unclear" is "maybe")."""
    return "maybe" if verdict == "unclear" else verdict

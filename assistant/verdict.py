"""One decision for yes/no questions, shared by `Assistant.answer` (the verdict stated first) and
`Assistant.choose` (the yes/no/maybe label), so the two never disagree.

The generator scores " yes", " no" and " maybe" as continuations of a prompt holding the sources
(`Generator.score_options`). The rule uses the margin log P(yes) - log P(no) minus a bias (the
model's lean towards one word whatever the sources say): above `MARGIN` it is "yes", below
-`MARGIN` "no", in between "unclear". Bias and margin were chosen on PubMedQA development
questions (`python -m evals.suites.verdict`, docs/evaluation.md) so that a stated yes/no is right
clearly more often than always answering the majority class; where no margin achieved that, the
margin is infinite and the verdict is always "unclear": never a confident wrong-by-default answer.

Measured with Gemma 3 270M (120 PubMedQA questions, retrieved sources): the best rule found on
60 (say "yes" when the margin exceeds 0.07; a third of the questions) was right on 13 of 20 on
the other 60, against a majority class right on 50-55%: its 95% interval (0.43-0.82) includes
the majority rate, so the shipped rule always says "unclear". Re-run the measurement with a
stronger generator and set BIAS and MARGIN from its report when it says `ship`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

OPTIONS = ("yes", "no", "maybe")
BIAS = 0.0
MARGIN = math.inf  # no rule cleared the bar with the default generator (see above)

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


def always_unclear(margin: float = MARGIN) -> bool:
    """True when no margin is trusted: the verdict needs no scoring at all."""
    return math.isinf(margin)


def decide(scores: Mapping[str, float], bias: float = BIAS, margin: float = MARGIN) -> str:
    """"yes", "no" or "unclear" from option log-likelihoods (keys " yes"/"yes", " no"/"no")."""
    yes = scores.get("yes", scores.get(" yes"))
    no = scores.get("no", scores.get(" no"))
    if yes is None or no is None:
        raise ValueError("decide needs the scores of yes and no")
    lean = (yes - no) - bias
    if lean > margin:
        return "yes"
    if lean < -margin:
        return "no"
    return "unclear"


def as_label(verdict: str) -> str:
    """The yes/no/maybe label of a verdict ("unclear" is "maybe")."""
    return "maybe" if verdict == "unclear" else verdict

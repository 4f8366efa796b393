"""Reading a patient's free reply to a yes/no question: "well yes", "a bit", "not really",
"i dont know", "yes the chest pain", "kind of".

Patients rarely answer with a bare yes or no, so the answer is looked for anywhere in a short
reply (only at the start of a long one, where "no" is more likely a negated symptom than an
answer). Hedges ("a bit", "kind of") count as yes and doubt ("maybe", "not sure") as unsure:
an unclear positive is treated as positive and uncertainty is never read as reassurance.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from assistant.triage.matching import compile_group, find_mentions, normalise

YES, NO, UNSURE = "yes", "no", "unsure"
SHORT_REPLY_WORDS = 15  # up to this many words, an answer may appear anywhere in the reply
_LEAD_WORDS = 3  # in a longer reply, the answer must be among the first few words

# A short auxiliary ("I do", "it is") is an answer only when nothing follows it in the clause.
_ENDS = r"(?=\s*(?:[.,;!?]|$|\b(?:yes|yeah|actually|now|a bit|sometimes|though|too)\b))"
_UNSURE = compile_group([
    r"(?:i )?(?:don'?t|do not|dont|dunno) (?:really )?know", r"dunno", r"idk", r"no idea",
    r"no clue", r"not (?:really |quite |too )?sure", r"unsure", r"not certain",
    r"can'?t (?:say|tell|remember)", r"hard to (?:say|tell)", r"maybe", r"possibly", r"perhaps",
    r"might (?:be|have)", r"could be", r"who knows", r"yes and no", r"not that i can tell",
])
_NO = compile_group([
    r"no", r"nope", r"nah", r"not really", r"not at all", r"none", rf"never{_ENDS}", r"negative",
    r"(?:i )?don'?t think so", r"not that i (?:know|noticed|know of|am aware|'m aware)",
    r"nothing(?: like that)?", r"neither", r"not any(?:more)?",
    r"(?:i|we) (?:don'?t|do not|haven'?t|have not|didn'?t|did not|am not|'m not|wasn'?t|was not)",
    r"(?:it|he|she|they) (?:isn'?t|is not|doesn'?t|does not|didn'?t|did not|hasn'?t|has not|"
    r"wasn'?t|was not|aren'?t|are not|don'?t|do not|haven'?t|have not)",
])
_YES = compile_group([
    r"yes", r"yeah", r"yep", r"yup", r"yea", r"ya", r"aye", r"sure", r"definitely",
    r"absolutely", r"correct", r"indeed", r"(?:i )?(?:think|guess|believe) so",
    rf"(?:i|we|it|they|he|she) (?:do|does|did|have|has|am|is|are){_ENDS}",
    r"probably", r"a (?:little )?bit", r"a little", r"kind of", r"kinda", r"sort of", r"sorta",
    r"slightly", r"somewhat", r"sometimes", r"on and off", r"a few times", r"now and then",
])
_PRIORITY = ((UNSURE, _UNSURE), (NO, _NO), (YES, _YES))


def answer_spans(text: str) -> list[tuple[int, str]]:
    """Every yes / no / unsure phrase in `text` (normalised), by position; doubt outranks no,
    and no outranks yes, where they overlap ("i don't know" is not a "no")."""
    taken: list[tuple[int, int, str]] = []
    for answer, pattern in _PRIORITY:
        for m in pattern.finditer(text):
            if not any(s < m.end() and m.start() < e for s, e, _ in taken):
                taken.append((m.start(), m.end(), answer))
    return sorted((s, a) for s, _, a in taken)


def read_answer(reply: str) -> str | None:
    """yes / no / unsure for a reply to a yes/no question; None when it does not answer."""
    t = normalise(reply)
    spans = answer_spans(t)
    if not spans:
        return None
    start, answer = spans[0]
    if len(t.split()) <= SHORT_REPLY_WORDS or len(t[:start].split()) < _LEAD_WORDS:
        return answer
    return None


def answers_to(reply: str, questions: Mapping[str, re.Pattern[str]]) -> dict[str, str]:
    """Answers to one or two pending questions (id -> keywords of what each asks about).

    Words that name what a question asks about settle it for that question ("yes, the chest
    pain"; "no sweating"); two answers for two questions are taken in order ("yes, no"); a plain
    answer covers every question it is not explained by. Unanswered questions are left out.
    """
    t = normalise(reply)
    found = find_mentions(t, questions)
    named = {q: YES for q in questions if q in found.present}
    named.update({q: NO for q in questions if q in found.denied})
    spans = answer_spans(t)
    short = len(t.split()) <= SHORT_REPLY_WORDS
    if not named and short and len(questions) > 1 and len(spans) == len(questions):
        return {q: a for q, (_, a) in zip(questions, spans, strict=True)}
    plain = read_answer(reply)
    if plain is None or (plain == YES and YES in named.values()):
        return named
    return {q: named.get(q, plain) for q in questions}

"""Pull structured facts (age, sex, pregnancy, duration, onset, severity) out of free text.

Pure functions over one piece of text; each returns None when the text does not say, so that
callers can merge facts from several turns without overwriting what is known.
"""

from __future__ import annotations

import re

from assistant.triage.matching import compile_group, find_mentions, normalise

_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "eighteen": 18,
    "twenty": 20, "a": 1, "an": 1, "a couple of": 2, "couple of": 2, "a few": 3, "few": 3,
    "several": 3,
}
_UNIT_DAYS = {"hour": 1 / 24, "hr": 1 / 24, "day": 1, "night": 1, "week": 7, "wk": 7,
              "month": 30, "year": 365, "yr": 365}
_AGE_UNIT_YEARS = {"year": 1.0, "yr": 1.0, "month": 1 / 12, "mo": 1 / 12, "week": 1 / 52,
                   "wk": 1 / 52, "day": 1 / 365}

_NUM = r"(\d+(?:\.\d+)?|a couple of|couple of|a few|few|several|an?|one|two|three|four|five|six|" \
       r"seven|eight|nine|ten|eleven|twelve|fourteen|eighteen|twenty)"
_UNIT = r"(hour|hr|day|night|week|wk|month|year|yr)s?"
_DURATION_PATTERNS = (
    re.compile(rf"\b{_NUM}\s*-?\s*{_UNIT}\s*-?\s*(?:history|ago)\b"),
    re.compile(rf"\b(?:for|over|during|lasting)\s+(?:about\s+|almost\s+|nearly\s+)?"
               rf"(?:the\s+)?(?:last|past)?\s*{_NUM}?\s*{_UNIT}\b"),
    # "in 3 days", "in the last week"; never a bare "in years" ("my first run in years")
    re.compile(rf"\bin\s+(?!(?:hour|hr|day|night|week|wk|month|year|yr)s?\b)"
               rf"(?:about\s+|almost\s+|nearly\s+)?(?:the\s+)?(?:last|past)?\s*{_NUM}?\s*{_UNIT}\b"),
    re.compile(rf"\b(?:started|began|since)\s+(?:about\s+)?{_NUM}\s*{_UNIT}\s+ago\b"),
)
_BARE_DURATION = re.compile(
    rf"^\s*(?:about|around|roughly|nearly|almost|for)?\s*{_NUM}\s*{_UNIT}\b"
)
_RELATIVE_DAYS = (
    (re.compile(r"\b(?:since|from) (?:this morning|today|an hour ago)\b|\bthis morning\b"), 0.5),
    (re.compile(r"\b(?:since )?(?:yesterday|last night)\b"), 1.0),
    (re.compile(r"\b(?:since )?last week\b"), 7.0),
)
_AGE_PATTERNS = (
    re.compile(rf"\b{_NUM}\s*-?\s*(year|yr|month|mo|week|wk|day)s?\s*-?\s*old\b"),
    re.compile(r"\baged?\s+(\d{1,3})\b"),
    re.compile(r"\b(?:i am|i'm|im|he is|he's|she is|she's|they are|they're)\s+(\d{1,3})\b"
               r"(?!\s*(?:weeks?|days?|months?|%|kg|lbs?|cm|/|out of|degrees|c\b|f\b))"),
    re.compile(r"\b(\d{1,3})\s*(?:yo|y/o|y\.o\.|yrs? old)\b"),
)
_NEWBORN = re.compile(r"\bnew-?born\b|\bneonate\b")
_BABY = re.compile(r"\b(?:baby|infant|new-?born|neonate)\b")
_CHILD_WORDS = re.compile(
    r"\b(?:my|our|her|his|their) (?:son|daughter|child|kid|baby|toddler|little one|boy|girl)\b|"
    r"\b(?:baby|infant|toddler|newborn|boy|girl|child)\b"
)
_MALE = re.compile(r"\b(?:man|male|boy|gentleman|mr|son|husband|father|dad|brother|m)\b")
_FEMALE = re.compile(r"\b(?:woman|female|girl|lady|mrs|ms|miss|daughter|wife|mother|mum|mom|"
                     r"sister|f)\b")
# A duration right after one of these belongs to a past event or a long-term condition
# ("heart attack 10 years ago", "diabetes for 10 years"), not to the current complaint.
_PAST_EVENT = re.compile(
    r"\b(?:heart attack|stroke|surgery|operation|op|diagnos\w*|fractur\w*|broke|broken|"
    r"accident|born|birth|transplant|bypass|stents?|replacement|hysterectomy|removed|treated|"
    r"treatment|chemo\w*|radiotherapy|admitted|hospital\w*|diabet\w*|asthma|copd|epilep\w*|"
    r"hypertensi\w*|high blood pressure|cancer|miscarriage|pregnan\w*|history of|previous\w*|"
    r"used to|smok\w*|quit|married|moved|retired|died|passed away|divorced|clots?|dvt|"
    r"embolism|pneumonia|sepsis)\b"
)
_COMPLAINT_ONSET = re.compile(
    r"\b(?:started|began|begun|start|came on|come on|since|onset|noticed|been having|"
    r"been getting|woke|developed|ongoing|lasting|had it|it's been|it has been)\b"
)
PAST_EVENT_WINDOW_WORDS = 4
_FRAIL = re.compile(
    r"\b(?:frail\w*|housebound|bed-?bound|care home|nursing home|walking frame|zimmer|"
    r"needs? help (?:with|to) (?:walk|wash|dress|get about)\w*)\b"
)
_SEX_NOUN = re.compile(
    r"\b(?:man|male|boy|son|gentleman|mr|woman|female|girl|daughter|lady|mrs|ms)\b"
)
_PREGNANT = {"pregnancy": compile_group([
    r"pregnan\w*", r"\d+ weeks? pregnant", r"expecting (a baby|twins)", r"i'?m expecting",
    r"gravid\w*", r"antenatal", r"trimester"])}
# "I'm 36 weeks" means pregnant; "36 weeks, baby is quiet" too, at the start of a message.
_WEEKS_ALONG = re.compile(
    r"(?:^|\b(?:i'?m|im|i am|she'?s|she is|at)\s+)(\d{1,2})\s*(?:weeks?|wks?)\b"
    r"(?!\s*(?:old|ago|of|into|post|since|now|later|after|before|in a row|running))"
)
PREGNANCY_WEEKS = (4, 42)
_NOT_PREGNANT = re.compile(r"\b(?:can'?t|cannot|couldn'?t) (?:possibly )?be pregnant\b|"
                           r"\bpregnancy test (?:was |is )?negative\b")
_SUDDEN = re.compile(r"\b(?:sudden\w*|abrupt\w*|all of a sudden|out of nowhere|came on "
                     r"(?:very )?(?:quickly|fast)|acute onset|instantly)\b")
_GRADUAL = re.compile(r"\b(?:gradual\w*|slowly|bit by bit|built up|crept up|over time)\b")
_SCORE = re.compile(r"\b(\d{1,2})\s*(?:/|out of)\s*10\b")
_SEVERITY_WORDS = (
    ("severe", re.compile(r"\b(?:severe|worst|excruciating|unbearable|agony|terrible|awful|"
                          r"horrendous|horrible|killing me|(?:very|really|so|pretty) "
                          r"(?:bad|painful))\b")),
    ("moderate", re.compile(r"\b(?:moderate|quite bad|fairly bad)\b")),
    ("mild", re.compile(r"\b(?:mild|slight|a bit|a little|not (?:too|that|very) bad)\b")),
)


SEVERE_SCORE = 7  # pain or distress scored 7/10 or more counts as severe
_BARE_SCORE = re.compile(
    r"\s*(?:(?:about|around|maybe|probably|like|a|an|it'?s|its|i'?d say|say|roughly|at least|"
    r"prob|um+|er+|well)\s+)*(\d{1,2})(?:\s*(?:/|out of)\s*10)?\s*[.!]?\s*"
)
# A score at the end of a clause of a longer answer ("..., maybe a 4"), never a count of units.
_SCORE_IN_ANSWER = re.compile(
    r"(?:^|[,;]|\b(?:maybe|about|around|roughly|probably|like|say|a|an|is|it'?s|its))\s*"
    r"(\d{1,2})(?:\s*(?:/|out of)\s*10)?(?=\s*(?:[,.;!]|$))"
)
_BARE_AGE = re.compile(
    rf"\s*(?:(?:he|she|they|it)(?:'s| is| are)|i'?m|i am|about|around|nearly|almost|just|only|"
    rf"aged?|turned)?\s*(\d{{1,3}}(?:\.\d)?|{_NUM[1:-1]})\s*-?\s*"
    r"(years?|yrs?|months?|mo|weeks?|wks?|days?)?\b(?!\s*(?:/|out of|%|ago))"
)


def _number(token: str) -> float:
    return float(token) if token[0].isdigit() else float(_NUMBER_WORDS[token])


def age_years(text: str) -> float | None:
    """Age in years ("4-year-old", "6 week old", "I'm 34", "aged 70"), None when unstated."""
    t = normalise(text)
    m = _AGE_PATTERNS[0].search(t)
    if m:
        return round(_number(m.group(1)) * _AGE_UNIT_YEARS[m.group(2)], 4)
    for pattern in _AGE_PATTERNS[1:]:
        m = pattern.search(t)
        if m:
            return float(m.group(1))
    return 0.01 if _NEWBORN.search(t) else None


def mentions_child(text: str) -> bool:
    """True when the text is about a child ("my son", "a baby", "a 4-year-old boy")."""
    return bool(_CHILD_WORDS.search(normalise(text)))


def mentions_baby(text: str) -> bool:
    """True when the text is about a baby ("my baby", "an infant", "a newborn")."""
    return bool(_BABY.search(normalise(text)))


def sex(text: str) -> str | None:
    """'male' or 'female' from the first sex-specific noun; None when the text does not say."""
    m = _SEX_NOUN.search(normalise(text))
    if not m:
        return None
    return "female" if _FEMALE.fullmatch(m.group(0)) else "male"


def sex_answer(text: str) -> str | None:
    """A direct answer to "male or female?" ("female", "F", "I'm a man")."""
    t = normalise(text)
    if _FEMALE.search(t):
        return "female"
    if _MALE.search(t):
        return "male"
    return None


def pregnant(text: str) -> bool | None:
    """True if pregnancy is affirmed, False if denied, None if not mentioned."""
    t = normalise(text)
    if _NOT_PREGNANT.search(t):
        return False
    found = find_mentions(t, _PREGNANT)
    if "pregnancy" in found.present:
        return True
    weeks = _WEEKS_ALONG.search(t)
    if weeks and PREGNANCY_WEEKS[0] <= int(weeks.group(1)) <= PREGNANCY_WEEKS[1]:
        return True
    return False if "pregnancy" in found.denied else None


def _past_event(text: str, start: int) -> bool:
    """True when the duration starting at `start` dates a past event or a long-term condition:
    one of those is named just before it and no complaint-onset word comes after that."""
    before = re.split(r"[.;:!?\n]", text[:start])[-1].split()[-PAST_EVENT_WINDOW_WORDS:]
    window = " ".join(before)
    events = list(_PAST_EVENT.finditer(window))
    return bool(events) and not _COMPLAINT_ONSET.search(window[events[-1].end():])


def duration_days(text: str) -> float | None:
    """How long the current complaint has lasted, in days, from the first duration phrase that
    belongs to it ("since yesterday"), skipping past events ("heart attack 10 years ago")."""
    t = normalise(text)
    found = []
    for pattern in _DURATION_PATTERNS:
        for m in pattern.finditer(t):
            count = _number(m.group(1)) if m.group(1) else 1.0
            found.append((m.start(), count * _UNIT_DAYS[m.group(2)]))
    for pattern, days in _RELATIVE_DAYS:
        found.extend((m.start(), days) for m in pattern.finditer(t))
    current = [(start, days) for start, days in found if not _past_event(t, start)]
    return round(min(current)[1], 3) if current else None


def bare_duration_days(text: str) -> float | None:
    """A direct answer to "how long?" ("3 days", "about a week")."""
    m = _BARE_DURATION.search(normalise(text))
    if m:
        return round(_number(m.group(1)) * _UNIT_DAYS[m.group(2)], 3)
    return duration_days(text)


def onset(text: str) -> str | None:
    """'sudden' or 'gradual' when the text says how the problem began."""
    t = normalise(text)
    if _SUDDEN.search(t):
        return "sudden"
    return "gradual" if _GRADUAL.search(t) else None


def severity(text: str) -> str | None:
    """A 0-10 score ("7/10") or a word (mild / moderate / severe) from the text."""
    t = normalise(text)
    m = _SCORE.search(t)
    if m and int(m.group(1)) <= 10:
        return f"{int(m.group(1))}/10"
    for label, pattern in _SEVERITY_WORDS:
        if pattern.search(t):
            return label
    return None


def bare_score(text: str) -> str | None:
    """A direct answer to "0 to 10?" ("7", "maybe a 7", "yesterday, gradually, about a 6")."""
    t = normalise(text)
    m = _BARE_SCORE.fullmatch(t) or _SCORE_IN_ANSWER.search(t)
    if m and int(m.group(1)) <= 10:
        return f"{int(m.group(1))}/10"
    return severity(text)


def is_severe(severity_value: str | None) -> bool:
    """True for "severe" or a score of 7/10 or more."""
    if severity_value is None:
        return False
    m = re.fullmatch(r"(\d{1,2})/10", severity_value)
    return int(m.group(1)) >= SEVERE_SCORE if m else severity_value == "severe"


def bare_age_years(text: str) -> float | None:
    """A direct answer to "how old?" ("34", "he's 2", "18 months", "six weeks")."""
    m = _BARE_AGE.match(normalise(text))
    if m:
        unit = m.group(2) or "year"
        return round(_number(m.group(1)) * _AGE_UNIT_YEARS[unit.rstrip("s")], 4)
    return age_years(text)


def frail(text: str) -> bool:
    """True when the text describes frailty (housebound, care home, walking frame)."""
    return bool(_FRAIL.search(normalise(text)))

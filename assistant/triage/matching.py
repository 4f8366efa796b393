"""Scope-aware term matching over normalised patient text.

A term only counts when it says the patient has the sign now. Three things set a mention aside,
each found the same way: a cue near the term, in the same clause, with no break in between.
- negated: "no chest pain", "denies fevers, chills, or weight loss";
- past: a remote time ("a heart attack 10 years ago", "seizures as a child", "history of ...");
- other person: a relative's illness ("my mum had a stroke", "dad died of a heart attack",
  "runs in the family"). A carer describing someone now ("my dad is sweating with chest pain")
  is describing the patient, so only past-tense and family-history wording is a cue.
Reaches are short and stop at "but", "and she", "now", a comma that does not start a list and
the like, so any error falls on the over-triage side: reading "no fever, crushing chest pain" as
a negated chest pain would miss an emergency.

Before matching, surface form is evened out: quotes, apostrophe-less contractions ("cant" ->
"can't") and, given an English word list, one-slip typos that make a rule term match.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

NEGATED, PAST, OTHER_PERSON = "negated", "past", "other person"
NEGATION_WINDOW = 8  # tokens between a negation cue and the start of the term it can negate
LIST_ITEM_MAX_TOKENS = 5
MIN_TYPO_LENGTH = 5  # shorter words have too many real neighbours to correct safely
MAX_TYPO_CANDIDATES = 5

# ---- surface form ---------------------------------------------------------------------------

_CHAR_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u00b0": " degrees ", "`": "'", "\u00b4": "'", "\u02bc": "'", "\u2032": "'"}
)
_CONTRACTIONS = {
    "cant": "can't", "couldnt": "couldn't", "dont": "don't", "doesnt": "doesn't",
    "didnt": "didn't", "isnt": "isn't", "arent": "aren't", "wasnt": "wasn't", "werent": "weren't",
    "hasnt": "hasn't", "havent": "haven't", "hadnt": "hadn't", "wouldnt": "wouldn't",
    "shouldnt": "shouldn't", "mustnt": "mustn't", "wont": "won't", "im": "i'm", "ive": "i've",
    "youre": "you're", "theyre": "they're", "thats": "that's", "theres": "there's",
    "whats": "what's", "hes": "he's", "shes": "she's",
    "dosent": "doesn't", "dosnt": "doesn't", "doesent": "doesn't",  # common misspellings
}
_CONTRACTION = re.compile(r"\b(" + "|".join(_CONTRACTIONS) + r")\b(?!')")
_SPACED_CONTRACTION = re.compile(
    r"\b(can|couldn|don|doesn|didn|isn|aren|wasn|weren|hasn|haven|hadn|wouldn|shouldn|won) t\b"
)
_WONT_AS_NOUN = re.compile(r"\b(?:his|her|their|my|your|its|our|as is|as was) $")


def _restore_contraction(m: re.Match[str]) -> str:
    word = m.group(1)
    if word == "wont" and _WONT_AS_NOUN.search(m.string[: m.start()]):
        return word  # "as was his wont"
    return _CONTRACTIONS[word]


def normalise(text: str) -> str:
    """Lower-case, plain quotes and dashes, apostrophes restored, single spaces (newlines kept).

    "cant", "dont", "im", "isnt", "wont" (and "don t") get their apostrophe back, so the cue
    list and the patterns need only one spelling of each.
    """
    text = text.translate(_CHAR_MAP).lower()
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r" *\n+ *", "\n", text).strip()
    text = _SPACED_CONTRACTION.sub(r"\1't", text)
    text = re.sub(r"\bcan not\b", "cannot", text)
    return _CONTRACTION.sub(_restore_contraction, text)


# Up to two words between the parts of a phrase ("chest is tight", "face has dropped"), plus any
# intensifiers or hedges, which never change the sign ("chest is really tight", "smile has gone
# all lopsided", "face has kind of dropped"). A gap never holds a negation word or punctuation, so
# "chest is not tight" and "chest, and tight" do not match through it.
GAP_TOKEN = "{gap}"
_HEDGE = (r"(?:really|very|so|quite|all|just|pretty|totally|completely|slightly|super|extremely|"
          r"kind of|sort of|kinda|sorta|a bit|a little|a lot) ")
_GAP = (rf"(?:{_HEDGE}){{0,3}}(?:(?!(?:no|not|never|nor|neither|without|cannot|[a-z]+n't)\b)"
        rf"[a-z0-9']+ (?:{_HEDGE}){{0,3}}){{0,2}}")


def compile_group(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for a group of term patterns, anchored on word boundaries at both ends.

    `{gap}` in a pattern stands for up to two words plus intensifiers, each followed by a space.
    """
    body = "|".join(f"(?:{p.replace(GAP_TOKEN, _GAP)})" for p in patterns)
    return re.compile(r"\b(?:" + body + r")\b")


_LETTERS = "abcdefghijklmnopqrstuvwxyz"
_VOWELS = frozenset("aeiou")
_KEY_XY = {  # QWERTY key centres (row, column shifted by the row's stagger)
    ch: (row, col + row / 2)
    for row, keys in enumerate(("qwertyuiop", "asdfghjkl", "zxcvbnm"))
    for col, ch in enumerate(keys)
}
_TYPO_TOKEN = re.compile(rf"(?<![\w'])[a-z]{{{MIN_TYPO_LENGTH},}}(?![\w'])")


def _near(a: str, b: str) -> bool:
    """Neighbouring keys, or two vowels (a slip of the finger or of the ear)."""
    if a in _VOWELS and b in _VOWELS:
        return True
    (r1, c1), (r2, c2) = _KEY_XY[a], _KEY_XY[b]
    return abs(r1 - r2) <= 1 and abs(c1 - c2) <= 1


def _typo_sources(typo: str) -> set[str]:
    """The words `typo` is one plausible slip away from.

    A letter left out ("swolen"), two letters swapped ("siezure"), a key next to the right one
    or a vowel for a vowel ("throut"), or an extra letter next to its own or a neighbouring key
    ("chestt"). Far substitutions ("childs" for "chills") are not slips and are not proposed.
    """
    n = len(typo)
    missing = {typo[:i] + c + typo[i:] for i in range(n + 1) for c in _LETTERS}
    swapped = {typo[:i] + typo[i + 1] + typo[i] + typo[i + 2:] for i in range(n - 1)}
    replaced = {typo[:i] + c + typo[i + 1:]
                for i in range(n) for c in _LETTERS if c != typo[i] and _near(c, typo[i])}
    extra = {typo[:i] + typo[i + 1:] for i in range(n)
             if any(_near(typo[i], typo[j]) or typo[i] == typo[j]
                    for j in (i - 1, i + 1) if 0 <= j < n)}
    return missing | swapped | replaced | extra


def _spans(text: str, groups: Mapping[str, re.Pattern[str]]) -> list[tuple[int, int]]:
    return [m.span() for pattern in groups.values() for m in pattern.finditer(text)]


def _covered(spans: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and e > start for s, e in spans)


def _substitute(text: str, spans: Sequence[tuple[int, int]], words: Sequence[str]
                ) -> tuple[str, list[tuple[int, int]]]:
    out, new_spans, last, size = [], [], 0, 0
    for (start, end), word in zip(spans, words, strict=True):
        out += [text[last:start], word]
        size += start - last
        new_spans.append((size, size + len(word)))
        size += len(word)
        last = end
    out.append(text[last:])
    return "".join(out), new_spans


def _fix_clause(clause: str, groups: Mapping[str, re.Pattern[str]], lexicon: Mapping[str, int]
                ) -> str:
    suspects = []
    for m in _TYPO_TOKEN.finditer(clause):
        if m.group(0) in lexicon:
            continue
        options = sorted((w for w in _typo_sources(m.group(0)) if w in lexicon),
                         key=lambda w: (-lexicon[w], w))[:MAX_TYPO_CANDIDATES]
        if options:
            suspects.append((m.span(), m.group(0), options))
    if not suspects:
        return clause
    matched = _spans(clause, groups)
    suspects = [x for x in suspects if not _covered(matched, *x[0])]
    spans = [span for span, _, _ in suspects]
    kept: dict[int, str] = {}
    for rank in range(MAX_TYPO_CANDIDATES):
        trial = [kept.get(i) or (opts[rank] if rank < len(opts) else word)
                 for i, (_, word, opts) in enumerate(suspects)]
        trial_text, trial_spans = _substitute(clause, spans, trial)
        trial_matched = _spans(trial_text, groups)
        for i, span in enumerate(trial_spans):
            if i not in kept and trial[i] != suspects[i][1] and _covered(trial_matched, *span):
                kept[i] = trial[i]
    return _substitute(clause, spans, [kept.get(i, w) for i, (_, w, _) in enumerate(suspects)])[0]


def fix_typos(text: str, groups: Mapping[str, re.Pattern[str]], lexicon: Mapping[str, int]
              ) -> str:
    """Correct one-slip typos towards the rules' own vocabulary, conservatively.

    A word is a suspect only if it has 5 or more letters, is not in `lexicon` (English words with
    their frequencies) and no term matches it as it stands. Its candidates are the English words
    one plausible slip away (`_typo_sources`), most frequent first, at most 5. A candidate is
    kept only if, with it, a term now matches over that word in its clause: "siezure" becomes
    "seizure", while an unknown name or drug stays as typed.
    """
    pieces, last = [], 0
    for start, end in _clause_spans(text):
        pieces += [text[last:start], _fix_clause(text[start:end], groups, lexicon)]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


# ---- clauses and cues -------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(
    r"(?<!\d)[.;:!?](?!\d)|\n|\b(?:but|however|although|though|except|apart from|aside from|"
    r"yet|whereas)\b"
)
_SCOPE_BREAK = re.compile(
    r"\b(?:and|then|so|now|which|who)\s+(?:i|he|she|they|it|my|his|her|their|we|now|then|has|"
    r"have|had|is|was|are|reports?|complains?|presents?|develop\w*|start\w*|notic\w*|feel\w*|"
    r"felt|suddenly)\b|\b(?:develop(?:s|ed)|presents?|presented|reports?|reported|complains?|"
    r"complained|started|began|noticed|woke)\b"
)
_LIST_CLOSER = re.compile(r"^\s*(?:and|or|nor)\b|\b(?:or|nor)\b")

# -- negation
_NEGATION_CUE = re.compile(
    r"\b(?:no|not|never|none|neither|nor|without|den(?:y|ies|ied|ying)|negative for|free of|"
    r"absence of|ruled out|(?:do|does|did|is|are|was|were|has|have|had|wo|would|should)n'?t)\b"
)
# Phrases that contain a cue but do not negate what follows ("not improving", "no longer",
# "hasn't passed urine"). Treating them as cues would hide symptoms; ignoring them only ever
# over-triages, which is the safe direction. A cue inside a matched term ("won't stop bleeding",
# "a rash that doesn't fade") belongs to that term and is ignored too.
_NOT = r"(?:not|(?:do|does|did|is|are|was|were|has|have|had|wo|would|could)n'?t)"
_PSEUDO = re.compile(
    # "no longer has a fever" negates; "can no longer feel my legs" is a symptom
    r"\b(?:no longer(?!\s+(?:has|have|having|had|got|gets|is|are|running|with|a|any)\b)|"
    r"not only|not just|not sure|not certain|no idea|no one|no-one|no matter|"
    r"no doubt|no better|no improvement|no relief|no change|no response to|"
    # "won't stop bleeding" is a symptom; "not him stopping breathing" is a denial
    rf"{_NOT}\s+(?:\w+\s+)?(?:stop\w*(?!\s+breath)|go(?:ne|ing)? away|get(?:ting)? better|"
    r"better|improv\w*|"
    r"help\w*|reliev\w*|respond\w*|wak\w*|breathing|eat\w*|drink\w*|feed\w*|pee\w*|wee\w*|"
    r"pass\w*|urinat\w*|mak\w* sense|recogni[sz]\w*|feel\w* (?:well|right|myself)|well|know|"
    r"able|settl\w*|resolv\w*|chang\w*|work\w*|seem\w* right))\b"
)

# -- past: a remote time, on either side of the term, or a history word before it
_COUNT = (r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
          r"fifteen|twenty|thirty|forty|fifty|a few|few|several|many|some|a couple of|couple of)")
_MONTHS = (r"(?:[2-9]|\d\d+|two|three|four|five|six|seven|eight|nine|ten|eleven|a few|few|"
           r"several|many|some|a couple of|couple of)")
_YOUNG = r"child|kid|baby|newborn|infant|toddler|teenager|teen"  # "as a ...", "when i was a ..."
_PAST_TIME = re.compile(
    rf"\b(?:{_COUNT} (?:years?|yrs?|decades?) (?:ago|back|earlier|before)|"
    r"(?:years|decades|months|ages|long) (?:ago|back)|"
    rf"{_MONTHS} months (?:ago|back|earlier|before)|(?:a|one|1) month ago|"
    r"last (?:year|month|winter|summer|spring|autumn|fall|christmas|easter)|"
    r"the year before last|"
    r"(?:back )?in (?:19|20)\d\d|back in the day|"
    r"(?:in|during) (?:my|his|her|their) (?:childhood|teens|twenties|thirties|youth)|"
    rf"in childhood|growing up|as (?:a|an) (?:{_YOUNG}|"
    r"youngster|boy|girl|student|young (?:man|woman|adult))|"
    rf"when (?:i|he|she|they|we) (?:was|were) (?:a |an )?(?:{_YOUNG}|"
    r"little|young|younger|small|at school|in (?:school|college|university)|"
    rf"pregnant|expecting|{_COUNT})|"
    r"in the past(?! (?:few |couple |couple of |several |\d+ |twenty[- ]four )?(?:minutes?|hours?|"
    r"days?|weeks?|months?|year|night|morning|while|fortnight)\b))\b"
)
_PAST_ONCE = re.compile(r"\bonce\b(?! (?:i|he|she|it|you|we|they|my|his|her)\b)")
# "has vomited once", "he's been sick once": a count of times in the current illness, not a past
_PERFECT = re.compile(r"(?:\b(?:has|have)|'(?:s|ve))\s+(?:\w+\s+)?(?:been|had|\w+ed)\b")
_PAST_BEFORE = re.compile(
    r"\b(?:(?:past |previous |prior |known |long |old )*(?:medical )?history of|pmh|h/o|hx of|"
    r"previous(?:ly)?(?! (?:day|night|evening|morning|afternoon|hour|week|well|healthy|fit|"
    r"fine)\b)|"
    r"prior(?! to\b)|"
    r"used to (?:have|get|suffer)|once had|recovered from|survived|got over|childhood|"
    r"(?:was|were) treated for|(?:in|during) (?:my|her) (?:last|previous|first) pregnancy)\b"
)
_DURATION_BEFORE = re.compile(
    r"(?:minute|min|hour|hr|day|night|week|wk|month|year|yr)s?[- ](?:long )?$"
)  # "a 7-day history of fever" is the current illness, not a past one
_PAST_BREAK = re.compile(  # a present-tense verb re-anchors the time ("as a child ... he's got")
    rf"{_SCOPE_BREAK.pattern}|\b(?:and|with|now|today|tonight|currently|still|again|recently|"
    r"since|this (?:morning|afternoon|evening|week|time)|has|have|is|are|am)\b|'(?:s|re|m|ve)\b"
)
_PAST_AFTER_BREAK = re.compile(
    rf"{_SCOPE_BREAK.pattern}|\b(?:and|with|now|today|tonight|currently|still|again|since|for|"
    r"until|till)\b"
)

# -- other person: a relative's past illness, a death, family history
_RELATIVE = (
    r"(?:mum|mom|mother|mam|mummy|mommy|dad|father|daddy|parents?|grand(?:ma|mother|mum|mom|pa|"
    r"father|dad|ad|parents?)|gran|granny|grannie|nan|nana|nanna|brother|sister|siblings?|aunt|"
    r"auntie|aunty|uncle|cousin|niece|nephew|friend(?: of (?:mine|ours))?|neighbou?r|colleague|"
    r"relatives?|"
    r"family members?|(?:step|half)[- ]?(?:mum|mom|mother|dad|father|brother|sister))"
)
_RELATIVE_NOUN = (rf"(?:my|his|her|their|our|your|a)\s+(?:(?:late|own|older|younger|elder|big|"
                  rf"little|twin|great)\s+)*{_RELATIVE}")
_RELATIVE_SUBJECT = (rf"{_RELATIVE_NOUN}\s+(?:(?:also|both|once|actually|sadly|unfortunately|"
                     r"apparently)\s+)?")
# "my dad had ..." is family history unless the clause says it is happening now ("my dad had a
# fit ten minutes ago"): then the writer is a carer and the relative is the patient.
# The verb stays outside the cue, so a term that starts with it ("had a stroke") is reached; an
# accident ("my dad had a fall and hit his head") is an event told by a carer, not a family history.
_RELATIVE_HAD = re.compile(
    rf"\b{_RELATIVE_SUBJECT}(?=(?:had|got|suffered)\b(?! (?:a |an )?(?:\w+ )?(?:fall|turn|"
    r"accident|bump|knock|bang|collision|crash|injury)\b))"
)
_RELATIVE_HISTORY = re.compile(
    rf"\b(?:{_RELATIVE_SUBJECT}(?:died|passed away|passed|was diagnosed|were diagnosed|"
    r"got diagnosed|battled|fought|(?:has|had|have) a (?:long )?history)|family (?:history|hx)|"
    r"fhx?|(?:died|passed away|passed on|was killed|were killed|lost (?:my|his|her|their|our) "
    r"\w+(?: \w+)?) (?:of|from|after|with|to|because of|due to))\b"
)
# A relative's suicide, or their diagnosis named with a possessive ("my dad's stroke"); the cue is
# the relative alone, so a term starting at the verb or the noun is reached.
_RELATIVE_SELF_HARM = re.compile(
    rf"\b{_RELATIVE_SUBJECT}(?=(?:killed (?:himself|herself|themselves)|took (?:his|her|their) own "
    r"life|committed suicide)\b)"
)
_RELATIVE_POSSESSIVE = re.compile(
    rf"\b{_RELATIVE_NOUN}'s\s+(?=(?:\w+\s+)?(?:strokes?|heart attacks?|seizures?|fits?|epilepsy|"
    r"cancer|clots?|overdose|suicide|death|illness|condition|diabetes|tumou?r|aneurysm|bleed|"
    r"dementia)\b)"
)
_RELATIVE_AFTER = re.compile(
    r"\b(?:(?:runs?|running|ran) in (?:the|my|our|his|her|their) family|"
    r"in (?:the|my|our|his|her|their) family|hereditary|inherited|(?:on|from) (?:my|his|her|"
    r"their) (?:mum's|mom's|mother's|dad's|father's) side)\b"
)
_RECENT = re.compile(
    r"\b(?:just|today|tonight|this (?:morning|afternoon|evening)|earlier|last night|yesterday|"
    r"right now|now|at the moment|currently|still|suddenly|(?:\d+|a few|few|a couple of|"
    r"couple of|an?|ten|twenty|thirty) (?:minutes?|mins?|hours?|hrs?) ago)\b"
)


@dataclass(frozen=True)
class _Cue:
    """A cue's span, what it sets aside, how far it reaches and on which side of it terms lie."""

    start: int
    end: int
    reason: str
    window: int
    after: bool  # governs terms after the cue ("no fever", "history of seizures")
    before: bool  # governs terms before it ("seizures as a child", "runs in the family")
    breaks: re.Pattern[str]


def _clause_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for brk in _CLAUSE_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    return spans


def _is_list(rest: str) -> bool:
    """True when the text after a cue reads as a list of items ("a, b, or c")."""
    segments = rest.split(",")
    if len(segments) < 2:
        return True
    if any(len(s.split()) > LIST_ITEM_MAX_TOKENS for s in segments[:-1]):
        return False
    last = " ".join(segments[-1].split()[:LIST_ITEM_MAX_TOKENS + 1])
    return bool(_LIST_CLOSER.search(last))


def _owned_by_term(start: int, end: int, terms: Sequence[tuple[int, int]]) -> bool:
    """True when a cue lies inside a matched term with no other term after it in that span.

    "a rash that doesn't fade" owns its "doesn't"; in "diarrhoea with no blood in the stool" the
    "no" still negates the stool term that follows it inside the wider match.
    """
    return any(
        s <= start and end <= e and not any(end <= s2 < e for s2, _ in terms)
        for s, e in terms
    )


def _cues(clause: str, terms: Sequence[tuple[int, int]]) -> list[_Cue]:
    """Every cue in the clause, except those that belong to a matched term or a pseudo-cue."""
    pseudo = [m.span() for m in _PSEUDO.finditer(clause)]
    recent = bool(_RECENT.search(clause))
    kinds = (
        (_NEGATION_CUE, NEGATED, NEGATION_WINDOW, True, False, _SCOPE_BREAK),
        (_PAST_BEFORE, PAST, 5, True, False, _PAST_BREAK),
        (_PAST_TIME, PAST, 5, True, False, _PAST_BREAK),
        (_PAST_TIME, PAST, 4, False, True, _PAST_AFTER_BREAK),
        (_RELATIVE_HISTORY, OTHER_PERSON, 3, True, False, _SCOPE_BREAK),
        (_RELATIVE_AFTER, OTHER_PERSON, 4, False, True, _PAST_AFTER_BREAK),
        (_RELATIVE_SELF_HARM, OTHER_PERSON, 1, True, False, _SCOPE_BREAK),
    ) + (() if _PERFECT.search(clause) else (
        (_PAST_ONCE, PAST, 3, False, True, _PAST_AFTER_BREAK),
    )) + (() if recent else (
        (_RELATIVE_HAD, OTHER_PERSON, 3, True, False, _SCOPE_BREAK),
        (_RELATIVE_POSSESSIVE, OTHER_PERSON, 1, True, False, _SCOPE_BREAK),
    ))
    cues = []
    for pattern, reason, window, after, before, breaks in kinds:
        for m in pattern.finditer(clause):
            if reason == NEGATED and any(s <= m.start() < e for s, e in pseudo):
                continue
            if _owned_by_term(m.start(), m.end(), terms):
                continue
            if pattern is _PAST_BEFORE and _DURATION_BEFORE.search(clause[: m.start()]):
                continue
            cues.append(_Cue(m.start(), m.end(), reason, window, after, before, breaks))
    others = [(c.start, c.end) for c in cues if c.reason == OTHER_PERSON]
    return [  # "family history of" is someone else's history, not the patient's past
        c for c in cues
        if c.reason != PAST or not any(c.start < e and s < c.end for s, e in others)
    ]


def _governs(clause: str, cue: _Cue, term_start: int, term_end: int) -> bool:
    if cue.after and cue.end <= term_start:
        between = clause[cue.end:term_start]
        return (
            len(between.split()) <= cue.window
            and not cue.breaks.search(between)
            and ("," not in between or _is_list(clause[cue.end:]))
        )
    if cue.before and term_end <= cue.start:
        between = clause[term_end:cue.start]
        return (
            len(between.split()) <= cue.window
            and "," not in between
            and not cue.breaks.search(between)
        )
    return False


@dataclass(frozen=True)
class Mention:
    """One occurrence of a term group; `excluded_by` says why it does not count (None: it does).

    Reasons: "negated", "past" (a remote time) or "other person" (a relative's illness).
    """

    group: str
    start: int
    end: int
    excluded_by: str | None = None

    @property
    def negated(self) -> bool:
        return self.excluded_by == NEGATED


@dataclass(frozen=True)
class Findings:
    """Which term groups the text affirms for the patient now, and which it sets aside."""

    mentions: tuple[Mention, ...]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(m.group for m in self.mentions if m.excluded_by is None)

    @property
    def denied(self) -> frozenset[str]:
        return self.set_aside(NEGATED)

    def set_aside(self, reason: str) -> frozenset[str]:
        """Groups mentioned only in ways that do not count, for `reason` among others."""
        return frozenset(m.group for m in self.mentions if m.excluded_by == reason) - self.present


def find_mentions(
    text: str,
    groups: Mapping[str, re.Pattern[str]],
    past_counts: Collection[str] = frozenset(),
) -> Findings:
    """Find every group's mentions in already-normalised `text`, each with its scope.

    `past_counts` names groups whose meaning is history ("diabetic", "had a transplant"): a past
    mention of those still counts. Negation and other-person scope apply to every group.
    """
    mentions: list[Mention] = []
    for c_start, c_end in _clause_spans(text):
        clause = text[c_start:c_end]
        if not clause.strip():
            continue
        found = [(name, m.start(), m.end())
                 for name, pattern in groups.items() for m in pattern.finditer(clause)]
        if not found:
            continue
        cues = _cues(clause, [(s, e) for _, s, e in found])
        for name, start, end in found:
            reason = next(
                (cue.reason for cue in sorted(cues, key=lambda c: _ORDER[c.reason])
                 if not (cue.reason == PAST and name in past_counts)
                 and _governs(clause, cue, start, end)),
                None,
            )
            mentions.append(Mention(name, c_start + start, c_start + end, reason))
    return Findings(tuple(mentions))


_ORDER = {NEGATED: 0, PAST: 1, OTHER_PERSON: 2}

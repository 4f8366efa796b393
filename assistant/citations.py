"""Keep only what the sources support: parse an answer's [n] citations and check each sentence.

A cited sentence is kept when a source it cites (or, uncited, the best source) passes all of:

- length: at least `MIN_CONTENT_WORDS` content words once markers and section labels
  (BACKGROUND:, RESULTS:, ANSWER ...) are removed, and mostly Latin-script letters;
- overlap: at least `MIN_SUPPORT` of its content words, and at least `MIN_SHARED`, occur in the
  source (section labels and instruction-like sentences of the source do not count);
- numbers: every number in it (outside [n] markers) occurs in the source, after normalising
  "12.5 %" = "12.5%" = "12.5", ".05" = "0.05", "1,000" = "1000", "two" = "2";
- names: every abbreviation or gene/drug code in it (a capitalised token with two or more
  capitals or a digit: "APC", "IL-6", "rs1061170") occurs in the source: a real source cannot
  vouch for an invented gene ("mutations in the NOP gene" cited to a page on the APC gene);
- negation: it is negated (no, not, never, without, neither, nor, none, cannot, n't) exactly when
  the source clause that best matches it is: "did not reduce" never supports "reduced".

Two kept sentences that say yes and no about the same claim (opposite polarity, and the words of
one contained in the other's) are both removed. Every removal is recorded with its reason. The
same parsing (sentences, markers, words, numbers, negation) serves the evaluation's judge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.prompt import instruction_like
from assistant.records import ABSTAIN, Citation, Dropped
from corpus.records import Passage

MIN_SUPPORT = 0.5  # share of a sentence's content words found in the cited source
MIN_SHARED = 2  # and at least this many of them
MIN_CONTENT_WORDS = 3  # "No [3]!" or "Yes." is not a claim that can be checked
MIN_LATIN = 0.8  # share of a sentence's letters that must be Latin script
CONTRADICTION_OVERLAP = 0.8  # Jaccard of word stems for two sentences on the same claim

MARKER = re.compile(r"\[(\d{1,4}(?:\s*[,;]\s*\d{1,4})*)\]")  # bounded: int() of 4,300+ digits fails
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers him his how i if in into is it its itself
    just may me might more most must my no nor not now of off on once only or other our out over
    own same she should so some such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who whom why will
    with would you your yes""".split()
)
# Section labels of structured abstracts and MedQuAD answers: structure, not content.
LABEL_WORDS = (
    "BACKGROUND|OBJECTIVES?|AIMS?|PURPOSE|INTRODUCTION|METHODS?|MATERIALS AND METHODS|DESIGN|"
    "SETTING|PARTICIPANTS|PATIENTS|INTERVENTIONS?|MEASUREMENTS?|MAIN OUTCOME MEASURES?|RESULTS?|"
    "FINDINGS|CONCLUSIONS?|INTERPRETATION|DISCUSSION|SUMMARY|ANSWER|QUESTION|CONTEXT|ABSTRACT"
)
_LABEL = re.compile(rf"\b(?:{LABEL_WORDS})\b\s*:?|^[A-Z][A-Z /&-]{{1,40}}:\s*", re.MULTILINE)
_SENTENCE_END = re.compile(
    r"\n+|(?<=[.!?])\s+(?=[A-Z0-9(\[\u201c\"])|(?<=[.!?][\u201d\"])\s+|(?<=\])\s+(?=[A-Z\u201c-])"
)
# An article's administrative lines, not findings: they pass a word-overlap check by being copied.
# Anchored at the start, in the lines' own forms: "Registration rates rose" stays a claim.
_ADMINISTRATIVE = re.compile(
    r"^\W*(?:(?:clinical\s+)?trial\s+regist\w*|registration\s*(?::|number|no\b|id\b)|"
    r"registered\s+at\b|clinicaltrials\.gov|funding\s*:|financial\s+disclosures?\s*:|copyright\b|"
    r"©|conflicts?\s+of\s+interest|competing\s+interests?|acknowledge?ments?\b)",
    re.IGNORECASE,
)
_LEADING_MARKERS = re.compile(r"^(?:\[\d{1,4}(?:\s*[,;]\s*\d{1,4})*\]\s*)+")
_CLAUSE = re.compile(r";|,?\s+\b(?:but|whereas|while|although|however)\b|\s+-\s+", re.I)
_NEGATION = re.compile(
    r"\b(?:no|not|never|without|neither|nor|none|cannot|nothing|nobody)\b|n't\b", re.I
)
_POLAR = re.compile(r"^\W*(yes|no)\b", re.I)
_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d*\.\d+|\d+)(?![\w])")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split()) if i >= 2}
_NUMBER_WORD = re.compile(rf"\b({'|'.join(_NUMBER_WORDS)})\b", re.I)
_NAME = re.compile(r"(?<![\w-])([A-Za-z]*[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?![\w-])")
_ROMAN = re.compile(r"^[IVX]+$")
_NAME_TOKEN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


# --- parsing (shared with the evaluation's judge) ---------------------------------------------


@dataclass(frozen=True)
class CitedSentence:
    """A sentence of an answer and the citation numbers it carries (e.g. `[1]`, `[2, 3]`)."""

    text: str
    numbers: tuple[int, ...]


def split_answer(text: str) -> list[str]:
    """An answer's sentences: split at sentence ends, closing quotes and lines; markers written
    after the full stop ("It works. [1]") stay with the sentence before them."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text.strip()):
        part = (part or "").strip()
        lead = _LEADING_MARKERS.match(part)
        if lead and out:
            out[-1] += " " + lead.group(0).strip()
            part = part[lead.end() :].strip()
        if part:
            out.append(part)
    return out


def marker_numbers(sentence: str) -> list[int]:
    """The source numbers a sentence cites, in order, without repeats."""
    numbers = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"[,;]\s*", group)]
    return list(dict.fromkeys(numbers))


def cited_sentences(text: str) -> list[CitedSentence]:
    """Sentences of an answer that carry at least one `[n]` marker, with their numbers."""
    found = [CitedSentence(s, tuple(marker_numbers(s))) for s in split_answer(text)]
    return [s for s in found if s.numbers]


def strip_markers(sentence: str) -> str:
    return " ".join(MARKER.sub(" ", sentence).split()).replace(" .", ".").replace(" ,", ",")


def strip_labels(text: str) -> str:
    """Text without section labels (RESULTS:, ANSWER, ...): they are structure, not claims."""
    return _LABEL.sub(" ", text)


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words and section labels, a plural `s` dropped."""
    words = set()
    for w in _WORD.findall(strip_labels(MARKER.sub(" ", text)).lower()):
        if w in _STOPWORDS or len(w) < 2:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        words.add(w)
    return words


def _normal_number(raw: str) -> str:
    raw = raw.replace(",", "")
    if "." in raw:
        raw = raw.rstrip("0").rstrip(".") if raw.split(".")[1] else raw
        if raw.startswith("."):
            raw = "0" + raw
    return raw.lstrip("0") or "0" if "." not in raw else raw


def numbers_in(text: str) -> set[str]:
    """Normalised numbers outside [n] markers: 12.5% -> 12.5, .05 -> 0.05, two -> 2."""
    bare = MARKER.sub(" ", text)
    found = {_normal_number(n) for n in _NUMBER.findall(bare)}
    return found | {_NUMBER_WORDS[w.lower()] for w in _NUMBER_WORD.findall(bare)}


def names_in(text: str) -> set[str]:
    """Abbreviations and codes outside [n] markers, lower-cased: tokens with two or more capitals
    or a capital and a digit ("APC", "IL-6", "HbA1c"), not Roman numerals or section labels. A
    text mostly in capitals (a shouted title) has none: its capitals say nothing."""
    bare = strip_labels(MARKER.sub(" ", text))
    letters = [c for c in bare if c.isalpha()]
    if letters and sum(c.isupper() for c in letters) > len(letters) / 2:
        return set()
    found = set()
    for token in _NAME.findall(bare):
        capitals = sum(c.isupper() for c in token)
        if (capitals >= 2 or any(c.isdigit() for c in token)) and not _ROMAN.match(token):
            found.add(token.lower())
    return found


def source_tokens(text: str) -> set[str]:
    """Every lower-cased word of a text, and each part of a hyphenated one ("il-6" also "il")."""
    words = set(_NAME_TOKEN.findall(text.lower()))  # "ad's" gives "ad", as names_in reads it
    return words | {part for w in words if "-" in w for part in w.split("-")}


def is_negated(text: str) -> bool:
    """True when the text carries a negation, or answers with a leading "No"."""
    return bool(_NEGATION.search(MARKER.sub(" ", text)))


def polarity(text: str) -> str:
    """"negative" for a negated or "No ..." sentence, else "positive"."""
    return "negative" if is_negated(text) else "positive"


def latin_share(text: str) -> float:
    """Share of the letters that are Latin script (1.0 when there are none)."""
    letters = _LETTER.findall(text)
    return sum(bool(_LATIN.match(ch)) for ch in letters) / len(letters) if letters else 1.0


def source_sentences(text: str) -> list[str]:
    """A source's sentences, without section labels or instruction-like text (never evidence)."""
    out = []
    for line in text.split("\n"):
        for sentence in split_answer(strip_labels(line)):
            if sentence and not instruction_like(sentence):
                out.append(sentence)
    return out


def clauses(sentence: str) -> list[str]:
    """A sentence cut at "but", "whereas", ";": each side may carry its own negation."""
    return [c.strip() for c in _CLAUSE.split(sentence) if c and c.strip()]


def best_clause(words: set[str], sentences: Sequence[str]) -> str:
    """The source clause sharing most content words with a claim, the closer match on a tie
    ("" when none shares any)."""
    best, best_key = "", (0, 0.0)
    for sentence in sentences:
        for clause in clauses(sentence):
            theirs = content_words(clause)
            shared = len(words & theirs)
            key = (shared, shared / len(words | theirs) if shared else 0.0)
            if key > best_key:
                best, best_key = clause, key
    return best


def stems(text: str) -> set[str]:
    """Content words cut to 6 letters: "reduced" and "reduces" are the same claim word."""
    return {w[:6] for w in content_words(text)}


def negation_matches(claim: str, sentences: Sequence[str]) -> bool:
    """Each clause of the claim is negated exactly when the source clause most like it is."""
    for part in clauses(claim):
        words = content_words(part)
        match = best_clause(words, sentences) if words else ""
        if match and is_negated(part) != is_negated(match):
            return False
    return True


# --- checking ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """How one source supports one sentence."""

    support: float  # share of the sentence's content words found in the source
    numbers_ok: bool
    negation_ok: bool
    reason: str = ""  # why the source does not support it; "" when it does

    @property
    def ok(self) -> bool:
        return not self.reason


def claim_problem(sentence: str) -> str:
    """Why a sentence cannot be a checked claim at all ("" when it can)."""
    bare = strip_markers(sentence)
    if not content_words(bare):
        return "empty or only a label"
    if latin_share(bare) < MIN_LATIN:
        return "not in English"
    if len(content_words(bare)) < MIN_CONTENT_WORDS:
        return f"too short to check (under {MIN_CONTENT_WORDS} content words)"
    if instruction_like(bare):
        return "instruction-like text"
    if _ADMINISTRATIVE.match(bare):
        return "not a finding (registration, funding or copyright line)"
    return ""


def check(sentence: str, source: str) -> Check:
    """Does `source` (a passage's text) support `sentence`? See the module docstring."""
    bare = strip_markers(sentence)
    words = content_words(bare)
    sentences = source_sentences(source)
    available: set[str] = set()
    for s in sentences:
        available |= content_words(s)
    shared = len(words & available)
    support = shared / len(words) if words else 0.0
    source_numbers = set().union(*(numbers_in(s) for s in sentences)) if sentences else set()
    missing = sorted(numbers_in(bare) - source_numbers)
    unknown = sorted(names_in(bare) - source_tokens(" ".join(sentences)))
    negation_ok = negation_matches(bare, sentences)
    if support < MIN_SUPPORT or shared < MIN_SHARED:
        reason = f"too few of its words in the source ({support:.0%})"
    elif missing:
        reason = f"number not in the source: {', '.join(missing)}"
    elif unknown:
        reason = f"name not in the source: {', '.join(unknown)}"
    elif not negation_ok:
        reason = "negation does not match the source"
    else:
        reason = ""
    return Check(support, not missing, negation_ok, reason)


@dataclass(frozen=True)
class Checked:
    """A sentence that passed, rewritten with the markers of the sources that support it."""

    text: str
    citations: tuple[Citation, ...]


def check_sentence(sentence: str, passages: Sequence[Passage]) -> Checked | Dropped:
    """Keep the cited sources that support the sentence; uncited or unsupported by what it cites,
    it gets the best supporting source instead, or is dropped with the reason."""
    problem = claim_problem(sentence)
    if problem:
        return Dropped(sentence, problem)
    cited = [n for n in marker_numbers(sentence) if 1 <= n <= len(passages)]
    checks = {n: check(sentence, passages[n - 1].text) for n in cited}
    good = [n for n in cited if checks[n].ok]
    if not good:
        others = {n: check(sentence, p.text) for n, p in enumerate(passages, 1) if n not in checks}
        passing = [n for n, c in others.items() if c.ok]
        if not passing:
            first = checks[cited[0]] if cited else None
            reason = first.reason if first else "no source supports it"
            if marker_numbers(sentence) and not cited:
                reason = "cites a source that was not given"
            return Dropped(sentence, reason)
        best = max(passing, key=lambda n: others[n].support)
        checks, good = {best: others[best]}, [best]
    bare = strip_markers(sentence)
    body, end = (bare[:-1], bare[-1]) if bare.endswith((".", "!", "?")) else (bare, ".")
    marks = "".join(f"[{n}]" for n in good)
    citations = tuple(
        Citation(n, passages[n - 1], checks[n].support, checks[n].numbers_ok,
                 checks[n].negation_ok)
        for n in good
    )
    return Checked(f"{body} {marks}{end}", citations)


def contradicts(a: Checked, b: Checked) -> bool:
    """Yes and no on the same claim: opposite polarity, and one sentence's word stems contained
    in the other's or nearly the same (two bare "Yes ..." / "No ..." answers always)."""
    if polarity(a.text) == polarity(b.text):
        return False
    if _POLAR.match(a.text) and _POLAR.match(b.text):
        return True
    sa, sb = stems(a.text), stems(b.text)
    if not sa or not sb:
        return False
    return sa <= sb or sb <= sa or len(sa & sb) / len(sa | sb) >= CONTRADICTION_OVERLAP


def is_abstention(text: str) -> bool:
    return "does not answer this" in text.lower() or not text.strip()


@dataclass(frozen=True)
class Grounded:
    text: str
    citations: tuple[Citation, ...]
    dropped: tuple[Dropped, ...]
    abstained: bool


def ground(text: str, passages: Sequence[Passage]) -> Grounded:
    """Rewrite an answer so that every sentence carries citations to sources that support it."""
    if is_abstention(text) or not passages:
        return Grounded(ABSTAIN, (), (), True)
    kept: list[Checked] = []
    dropped: list[Dropped] = []
    for sentence in split_answer(" ".join(text.split())):
        result = check_sentence(sentence, passages)
        (kept if isinstance(result, Checked) else dropped).append(result)
    return settle(kept, dropped)


def settle(kept: Sequence[Checked], dropped: Sequence[Dropped]) -> Grounded:
    """Remove contradicting pairs from the kept sentences and assemble the answer."""
    clashing = {i for i, a in enumerate(kept) for j, b in enumerate(kept)
                if i != j and contradicts(a, b)}
    final = [k for i, k in enumerate(kept) if i not in clashing]
    dropped = [*dropped, *(Dropped(kept[i].text, "contradicts another sentence of the answer")
                           for i in sorted(clashing))]
    if not final:
        return Grounded(ABSTAIN, (), tuple(dropped), True)
    return Grounded(" ".join(k.text for k in final),
                    tuple(c for k in final for c in k.citations), tuple(dropped), False)

"""Follow-up questions rewritten into standalone ones, so retrieval sees the whole question.

"What about children?" retrieves nothing useful on its own; after "Does metformin reduce the
risk of gestational diabetes?" it means "Does metformin reduce the risk of gestational diabetes
in children?". The rewrite is deterministic (word lists, no model): a question is a follow-up
when it refers back ("it", "its", "this drug"), starts as a continuation ("what about ...",
"and ...") or has no topic of its own ("Dosage?"); the topic is the previous question's first key
noun phrase. Earlier questions are resolved first, so a chain of follow-ups keeps its topic.
Answers are not mined for topics: an answer may be an abstention, or wrong, and would steer
retrieval away from what the user asked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


def _inflect(*bases: str) -> frozenset[str]:
    """Verb forms: base, -s, -ed, -ing (reduce -> reduces, reduced, reducing)."""
    forms = set()
    for base in bases:
        stem = base[:-1] if base.endswith("e") else base
        plural = base + "es" if base.endswith(("s", "sh", "ch", "x")) else base + "s"
        forms.update((base, plural, stem + "ed", stem + "ing"))
    return frozenset(forms)


STOP = frozenset("""
a an the of in on at to for with without by from about as into during among between after before
while over under than and or but so if then also not no nor is are was were be been being am do
does did done doing have has had having can could should would will may might must shall what
which who whom whose when where why how whether there here any some all each every more most less
least much many very too just only still again it its they them their theirs this that these
those i me my we our you your he she his her one ones someone anyone something anything get got
getting please same other else like such vs versus per via s don't doesn't isn't aren't can't
it's that's what's there's
""".split())
VERBS = _inflect(
    "reduce", "increase", "cause", "prevent", "treat", "improve", "affect", "help", "work",
    "lower", "raise", "cure", "lead", "protect", "interact", "need", "take", "recommend",
    "compare", "differ", "develop", "diagnose", "detect", "predict", "respond", "start", "stop",
    "last", "spread", "happen", "mean", "occur", "harm", "worsen", "relieve", "change", "make",
    "give", "know", "suspect", "associate", "relate", "require", "show", "indicate", "manage",
    "go", "come", "feel", "become", "decrease", "shorten", "lengthen", "speed", "slow",
) | frozenset({"made", "gave", "given", "known", "shown", "led", "went", "gone", "came", "felt"})
GENERIC = frozenset("""
useful effective efficacious safe safer good better best bad worse worst helpful beneficial
harmful dangerous common possible true likely necessary accurate reliable normal serious severe
mild high higher low lower long short early late new first second recommended available really
actually usually typically often risky fine real known different similar main typical usual
contagious infectious hereditary genetic curable treatable fatal painful permanent reversible
addictive okay ok still ever long-lasting worth
""".split())
FACETS = frozenset("""
side effect adverse risk dose dosage dosing treatment therapy symptom sign cause diagnosis
prognosis prevention complication interaction contraindication outcome mortality survival
recurrence cost efficacy effectiveness benefit harm duration long-term term use usage evidence
study trial research management option alternative guideline incidence prevalence rate chance
likelihood success response result data amount frequency timing time length level test testing
screening stage people patient person population age group case safety outlook information
inheritance clinical support consideration exam susceptibility feature characteristic
""".split())
POPULATIONS = frozenset("""
child children kid infant baby babies newborn neonate toddler adolescent teenager teen adult
elderly older senior women woman men man girl boy mother
""".split())
SETTINGS = frozenset("pregnancy pregnant breastfeeding lactation".split())
SOCIAL = frozenset("thanks thank yes hi hello bye great cool sure".split())
COURTESY = frozenset("ok okay please you very much so no".split())
REFERENT_NOUNS = frozenset("""
drug medicine medication condition disease illness infection vaccine supplement disorder
syndrome treatment therapy procedure surgery operation
""".split())
CONTINUATIONS = ("what about", "how about", "what of", "and what about", "and how about",
                 "same for", "and", "also", "but", "so", "then", "ok", "okay")
PREPOSITIONS = frozenset("in for during among while after before with without when".split())
LEADS = frozenset("how what when where why which who whom whose is are was were do does did can "
                  "could should would will may might must has have had".split())

_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\-]*")


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int

    @property
    def low(self) -> str:
        text = self.text.lower()
        return text if text in STOP else text.removesuffix("'s")


def _in(word: str, vocab: frozenset[str]) -> bool:
    """Membership that also accepts regular plurals (effects, risks, therapies)."""
    return (word in vocab or (word.endswith("s") and word[:-1] in vocab)
            or (word.endswith("es") and word[:-2] in vocab)
            or (word.endswith("ies") and word[:-3] + "y" in vocab))


def _breaker(word: str) -> bool:
    return word in STOP or word in VERBS or word in GENERIC or word in SOCIAL


def _specific(word: str) -> bool:
    """A content word naming a topic of its own (a drug, a disease), not an aspect of one."""
    return not (_breaker(word) or _in(word, FACETS) or _in(word, POPULATIONS)
                or word in SETTINGS)


def _words(text: str) -> list[_Word]:
    return [_Word(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]


def _joins(words: list[_Word], i: int) -> bool:
    """Whether words[i] belongs to a noun phrase: a content word, an adjective before one
    ("common variable immune deficiency"), or "and" between two names ("Overweight and
    Obesity")."""
    low = words[i].low
    nxt = words[i + 1].low if i + 1 < len(words) else ""
    if not _breaker(low):
        return True
    if low in GENERIC:
        return bool(nxt) and not _breaker(nxt)
    if low == "and" and i:
        return _specific(words[i - 1].low) and bool(nxt) and _specific(nxt)
    return False


def _phrases(text: str) -> list[tuple[int, int]]:
    """Spans of key noun phrases: runs of content words that name something specific."""
    words = _words(text)
    spans, run = [], []
    for i in range(len(words) + 1):
        if i < len(words) and _joins(words, i):
            run.append(words[i])
            continue
        if any(_specific(w.low) for w in run):
            start, end = run[0].start, run[-1].end
            if text.count("(", start, end) > text.count(")", start, end):
                end = text.find(")", end) + 1 or end  # "Choriomeningitis (LCM)"
            spans.append((start, end))
        run = []
    return spans


def _topic(question: str) -> str | None:
    spans = _phrases(question)
    return question[spans[0][0] : spans[0][1]] if spans else None


def _strip_lead(text: str) -> str:
    """Drop a leading continuation word ("and", "so") and capitalise what is left."""
    text = text.strip()
    for lead in ("and ", "also ", "but ", "so ", "then ", "ok ", "okay "):
        if text.lower().startswith(lead):
            text = text[len(lead) :].lstrip(" ,")
            break
    return text[:1].upper() + text[1:]


def _with_end(body: str, addition: str) -> str:
    """`body` with `addition` placed before its closing punctuation."""
    core = re.sub(r"[\s?.!]+$", "", body)
    end = body.strip()[len(core.strip()):].replace(" ", "")
    return f"{core} {addition}{end[:1] or '?'}"


def _expletive_it(words: list[_Word], i: int) -> bool:
    """'Is it true that ...', 'it is safe to take X': an "it" that refers to nothing."""
    after = [w.low for w in words[i + 1 : i + 7]]
    before = words[i - 1].low if i else ""
    if "that" in after or "whether" in after:
        return before in ("is", "was", "isn't") or after[:1] in (["is"], ["was"])
    if "to" in after:
        j = after.index("to")
        rest = after[j + 2 : j + 3]  # the word after "to <verb>": its object, if there is one
        return bool(rest) and not _breaker(rest[0]) and rest[0] not in PREPOSITIONS
    return False


def _pronoun(words: list[_Word], i: int, has_topic: bool) -> bool:
    """A pronoun standing for an earlier topic: "is it safe?", "are these contagious?"."""
    low = words[i].low
    if low in ("this", "these", "those"):
        return i + 1 == len(words) or _breaker(words[i + 1].low)
    if low == "it":
        return not (has_topic and _expletive_it(words, i))
    return low in ("they", "them")


def _referent(words: list[_Word], i: int) -> bool:
    """'this drug', 'the disease' standing for an earlier topic (not 'the condition of ...')."""
    low = words[i].low
    nxt = words[i + 1].low if i + 1 < len(words) else ""
    after = words[i + 2].low if i + 2 < len(words) else ""
    if low not in ("this", "that", "these", "those", "the") or not _in(nxt, REFERENT_NOUNS):
        return False
    if after == "of":
        return False
    return low != "the" or nxt.rstrip("s") not in ("treatment", "therapy", "procedure")


def _references(question: str, topic: str, has_topic: bool) -> str | None:
    """The question with words that refer back replaced by `topic`; None if there are none."""
    words = _words(question)
    edits: list[tuple[int, int, str]] = []
    i = 0
    while i < len(words):
        low = words[i].low
        if has_topic and any(_specific(w.low) for w in words[:i]):
            break  # "Does aspirin help if I take it daily?": it is the question's own topic
        if low in ("its", "their"):
            j = i + 1
            while j < len(words) and not (words[j].low in STOP or words[j].low in VERBS):
                j += 1
            if j > i + 1:
                noun = question[words[i + 1].start : words[j - 1].end]
                edits.append((words[i].start, words[j - 1].end, f"the {noun} of {topic}"))
                i = j
                continue
            edits.append((words[i].start, words[i].end, f"{topic}'s"))
        elif _referent(words, i):
            edits.append((words[i].start, words[i + 1].end, topic))
            i += 2
            continue
        elif _pronoun(words, i, has_topic):
            edits.append((words[i].start, words[i].end, topic))
        i += 1
    if not edits:
        return None
    for start, end, text in reversed(edits):
        question = question[:start] + text + question[end:]
    return _strip_lead(question)


def _continuation(question: str) -> tuple[bool, str]:
    """Whether the question opens as a continuation, and what follows the opening words."""
    low = " ".join(question.lower().split())
    for lead in sorted(CONTINUATIONS, key=len, reverse=True):
        if low == lead or low.startswith(lead + " "):
            rest = question.strip()[len(lead) :].strip(" ,")
            return True, rest
    return False, question.strip()


def _elliptical(question: str, rest: str, previous: str, topic: str) -> str:
    """A question with no topic of its own, completed from the previous one."""
    words = [w.low for w in _words(rest)]
    content = [w for w in words if w not in STOP] or [""]
    if (words[0] in PREPOSITIONS or _in(content[0], POPULATIONS) or content[0] in SETTINGS) \
            and not any(_in(w, FACETS) for w in content):
        return _in_population(previous, rest)
    if all(_specific(w) for w in content) and words[0] not in LEADS:
        return previous.replace(topic, rest.rstrip("?.! "), 1)  # "what about ibuprofen?"
    if words[-1] in PREPOSITIONS or words[-1] in ("of", "to", "about"):
        return _with_end(_strip_lead(question), topic)  # "Who is at risk for ?"
    joiner = "of" if _in(content[-1], FACETS) else "for"  # "the dose of X", "last for X"
    return _with_end(_strip_lead(question), f"{joiner} {topic}")


def _in_population(previous: str, rest: str) -> str:
    """Carry the previous question to another population or setting ("what about children?")."""
    rest = rest.rstrip("?.! ")
    words = _words(previous)
    people = [w for w in words if _in(w.low, POPULATIONS)]
    first = _words(rest)[0].low
    if people and first not in PREPOSITIONS:
        return previous[: people[0].start] + rest + previous[people[-1].end :]
    return _with_end(previous, rest if first in PREPOSITIONS else f"in {rest}")


def standalone_question(history: Sequence[tuple[str, str]], question: str) -> str:
    """`question` rewritten to stand alone, given the session's (question, answer) history.

    A question with its own topic passes unchanged; so does one with nothing earlier to refer
    to.
    """
    previous, topic = None, None
    for asked, _answer in history:
        resolved = _resolve(previous, topic, asked)
        found = _topic(resolved)
        if found:
            previous, topic = resolved, found
    return _resolve(previous, topic, question)


def _resolve(previous: str | None, topic: str | None, question: str) -> str:
    """One rewriting step against the latest resolved question and its topic."""
    words = [w.low for w in _words(question)]
    if previous is None or topic is None or all(w in SOCIAL or w in COURTESY for w in words):
        return question
    has_topic = any(_specific(w) for w in words)
    referred = _references(question, topic, has_topic)
    if referred is not None:
        return referred
    continued, rest = _continuation(question)
    rest_words = [w.low for w in _words(rest)]
    if all(w in STOP for w in rest_words):
        return question  # nothing to attach a topic to: "Why?"
    if has_topic and (not continued or rest_words[0] in LEADS):
        return question  # its own topic: "And does metformin cause weight loss?"
    return _elliptical(question, rest, previous, topic)

"""Negation-aware term matching over normalised text.

Triage text is full of pertinent negatives ("no chest pain", "denies fevers, chills, or weight
loss"), so a term only counts when no negation cue governs it. A cue governs a term when it comes
before it in the same clause, within a short window, without a break such as "but" or "and she".
A comma ends a cue's reach unless what follows is clearly a list ("..., or skin lesions"): reading
"no fever, crushing chest pain" as a negated chest pain would miss an emergency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

NEGATION_WINDOW = 8  # tokens between a cue and the start of the term it can negate
LIST_ITEM_MAX_TOKENS = 5

_CUE = re.compile(
    r"\b(?:no|not|never|none|neither|nor|without|den(?:y|ies|ied|ying)|negative for|free of|"
    r"absence of|ruled out|(?:do|does|did|is|are|was|were|has|have|had|wo|would|should)n'?t)\b"
)
# Phrases that contain a cue but do not negate what follows ("not improving", "no longer",
# "hasn't passed urine"). Treating them as cues would hide symptoms; ignoring them only ever
# over-triages, which is the safe direction.
_NOT = r"(?:not|(?:do|does|did|is|are|was|were|has|have|had|wo|would|could)n'?t)"
_PSEUDO = re.compile(
    r"\b(?:no longer|not only|not just|not sure|not certain|no idea|no one|no-one|no matter|"
    r"no doubt|no better|no improvement|no relief|no change|no response to|"
    rf"{_NOT}\s+(?:\w+\s+)?(?:stop\w*|go(?:ne|ing)? away|get(?:ting)? better|better|improv\w*|"
    r"help\w*|reliev\w*|respond\w*|wak\w*|breathing|eat\w*|drink\w*|feed\w*|pee\w*|wee\w*|"
    r"pass\w*|urinat\w*|mak\w* sense|recogni[sz]\w*|feel\w* (?:well|right|myself)|well|know|"
    r"able|settl\w*|resolv\w*|chang\w*|work\w*|seem\w* right))\b"
)
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

_CHAR_MAP = str.maketrans(
    {"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
     "\u00b0": " degrees "}
)


def normalise(text: str) -> str:
    """Lower-case, plain quotes and dashes, single spaces (newlines kept as clause breaks)."""
    text = text.translate(_CHAR_MAP).lower()
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    return re.sub(r" *\n+ *", "\n", text).strip()


def compile_group(patterns: Sequence[str]) -> re.Pattern[str]:
    """One regex for a group of term patterns, anchored on word boundaries at both ends."""
    return re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b")


@dataclass(frozen=True)
class Mention:
    """One occurrence of a term group in the text; `negated` when a cue governs it."""

    group: str
    start: int
    end: int
    negated: bool


@dataclass(frozen=True)
class Findings:
    """Which term groups the text affirms, and which it only mentions negated."""

    mentions: tuple[Mention, ...]

    @property
    def present(self) -> frozenset[str]:
        return frozenset(m.group for m in self.mentions if not m.negated)

    @property
    def denied(self) -> frozenset[str]:
        return frozenset(m.group for m in self.mentions if m.negated) - self.present


def _clause_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for brk in _CLAUSE_BREAK.finditer(text):
        spans.append((start, brk.start()))
        start = brk.end()
    spans.append((start, len(text)))
    return spans


def _is_list(rest: str) -> bool:
    """True when the text after a cue reads as a list of negated items ("a, b, or c")."""
    segments = rest.split(",")
    if len(segments) < 2:
        return True
    if any(len(s.split()) > LIST_ITEM_MAX_TOKENS for s in segments[:-1]):
        return False
    last = " ".join(segments[-1].split()[:LIST_ITEM_MAX_TOKENS + 1])
    return bool(_LIST_CLOSER.search(last))


def _cue_spans(clause: str) -> list[tuple[int, int]]:
    pseudo = [m.span() for m in _PSEUDO.finditer(clause)]
    return [
        m.span()
        for m in _CUE.finditer(clause)
        if not any(ps <= m.start() < pe for ps, pe in pseudo)
    ]


def _negated(clause: str, cues: list[tuple[int, int]], term_start: int) -> bool:
    for _, cue_end in cues:
        if cue_end > term_start:
            continue
        between = clause[cue_end:term_start]
        if len(between.split()) > NEGATION_WINDOW or _SCOPE_BREAK.search(between):
            continue
        if "," in between and not _is_list(clause[cue_end:]):
            continue
        return True
    return False


def find_mentions(text: str, groups: Mapping[str, re.Pattern[str]]) -> Findings:
    """Find every group's mentions in already-normalised `text`, each marked negated or not."""
    mentions: list[Mention] = []
    for c_start, c_end in _clause_spans(text):
        clause = text[c_start:c_end]
        if not clause.strip():
            continue
        cues = _cue_spans(clause)
        for name, pattern in groups.items():
            for m in pattern.finditer(clause):
                negated = _negated(clause, cues, m.start())
                mentions.append(Mention(name, c_start + m.start(), c_start + m.end(), negated))
    return Findings(tuple(mentions))

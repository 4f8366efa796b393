"""Complaint protocols: which complaint family a story belongs to, and the targeted warning-sign
questions ("screens") a triage nurse asks for it.

Families and screens are reviewed data in `protocols.toml`, each question with its source, as
the rules are in `red_flags.toml`. A yes to a screen counts like a rule at the screen's level; a
"don't know" is never reassurance (an emergency screen left unsure still means "speak to a
clinician today"). Families also say which body systems are dangerous: a story about one of them
that no rule explains must not end in self-care.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from assistant.triage.answers import NO, UNSURE, YES
from assistant.triage.levels import LEVELS, rank
from assistant.triage.matching import compile_group, find_mentions, normalise
from assistant.triage.red_flags import RuleHit

PROTOCOLS_FILE = "protocols.toml"
MAX_SCREENS = 6  # per story, over all its families: enough to rule out emergencies, not a quiz
ANSWERS = (YES, NO, UNSURE)
SCREEN_PREFIX = "screen:"  # rule ids of screen hits, and intake field names of screens
ANY_SELF_CARE_RULE = "*"
_UNSURE_DEFAULT = {"emergency": "urgent", "urgent": "routine"}
UNSURE_REASON = "You were not sure about this warning sign: {sign}"


@dataclass(frozen=True)
class Screen:
    """One yes/no warning-sign question of a family, the level a yes gives, and why."""

    id: str
    family: str
    level: str
    ask: str
    ask_child: str
    reason: str
    source: str
    keywords: re.Pattern[str]
    unsure_level: str
    crisis: bool = False
    min_age_years: float | None = None
    adult_only: bool = False

    @property
    def field(self) -> str:
        """The intake field name of this screen ("screen:<id>")."""
        return SCREEN_PREFIX + self.id

    def applies(self, is_child: bool | None, age_years: float | None) -> bool:
        """Whether to ask it: no adult-only questions, nor self-harm ones, about a young child."""
        if self.adult_only and is_child:
            return False
        if self.min_age_years is not None:
            if age_years is not None:
                return age_years >= self.min_age_years
            return not is_child
        return True

    def question(self, is_child: bool | None) -> str:
        """The question, addressed to a parent when the patient is a child."""
        return self.ask_child if is_child else self.ask


@dataclass(frozen=True)
class Family:
    """A complaint family: how to recognise it and which screens to ask."""

    id: str
    name: str
    dangerous: bool
    covered_by: tuple[str, ...]
    detect: re.Pattern[str]
    reason: str
    source: str
    screens: tuple[Screen, ...]
    child: bool = False
    pregnant: bool = False

    def applies(self, is_child: bool | None, pregnant: bool | None) -> bool:
        return (not self.child or bool(is_child)) and (not self.pregnant or bool(pregnant))

    def covered(self, rule_ids: Iterable[str]) -> bool:
        """True when a fired routine or self-care rule can explain a story of this family."""
        fired = set(rule_ids)
        if ANY_SELF_CARE_RULE in self.covered_by:
            return bool(fired)
        return bool(fired & set(self.covered_by))


@dataclass(frozen=True)
class Protocols:
    """All families, in file order, and their screens by id."""

    families: tuple[Family, ...]

    def family(self, family_id: str) -> Family:
        return next(f for f in self.families if f.id == family_id)

    @property
    def screens(self) -> dict[str, Screen]:
        return {s.id: s for f in self.families for s in f.screens}


def _screen(raw: dict, family: str) -> Screen:
    level = raw["level"]
    if level not in ("emergency", "urgent"):
        raise ValueError(f"screen {raw['id']}: level must be emergency or urgent, got {level!r}")
    unsure = raw.get("unsure_level", _UNSURE_DEFAULT[level])
    if unsure not in LEVELS or rank(unsure) > rank(level) or (
        level == "emergency" and rank(unsure) < rank("urgent")
    ):
        raise ValueError(f"screen {raw['id']}: unsure_level {unsure!r} is not allowed")
    ask = raw["ask"]
    if not ask.endswith("?") or not raw.get("source"):
        raise ValueError(f"screen {raw['id']}: needs a question ending in '?' and a source")
    return Screen(
        id=raw["id"], family=family, level=level, ask=ask, ask_child=raw.get("ask_child", ask),
        reason=raw["reason"], source=raw["source"], keywords=compile_group(raw["keywords"]),
        unsure_level=unsure, crisis=raw.get("crisis", False),
        min_age_years=raw.get("min_age_years"), adult_only=raw.get("adult_only", False),
    )


def parse_protocols(data: dict) -> Protocols:
    """Build Protocols from parsed TOML, rejecting bad levels, missing sources and duplicates."""
    families = []
    for raw in data["family"]:
        screens = tuple(_screen(s, raw["id"]) for s in raw.get("screen", ()))
        families.append(Family(
            id=raw["id"], name=raw["name"], dangerous=raw["dangerous"],
            covered_by=tuple(raw.get("covered_by", ())), detect=compile_group(raw["detect"]),
            reason=raw["reason"], source=raw["source"], screens=screens,
            child=raw.get("child", False), pregnant=raw.get("pregnant", False),
        ))
    ids = [f.id for f in families] + [s.id for f in families for s in f.screens]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate family or screen ids")
    return Protocols(tuple(families))


@lru_cache(maxsize=1)
def default_protocols() -> Protocols:
    """The packaged protocols (read once; immutable)."""
    raw = resources.files("assistant.triage").joinpath(PROTOCOLS_FILE).read_text(encoding="utf-8")
    return parse_protocols(tomllib.loads(raw))


def detect_families(
    text: str,
    is_child: bool | None = None,
    pregnant: bool | None = None,
    book: Protocols | None = None,
) -> tuple[str, ...]:
    """Families the text affirms (negation-aware), in the order the patient mentioned them.

    A pregnancy family applies whenever the patient is known to be pregnant, words or not.
    """
    book = book or default_protocols()
    applicable = {f.id: f.detect for f in book.families if f.applies(is_child, pregnant)}
    found = find_mentions(normalise(text), applicable)
    first: dict[str, int] = {}
    for m in found.mentions:
        if not m.negated:
            first[m.group] = min(first.get(m.group, m.start), m.start)
    if pregnant:
        first.update({f.id: len(text) for f in book.families if f.pregnant and f.id not in first})
    return tuple(sorted(first, key=first.__getitem__))


def story_screens(
    families: Iterable[str],
    is_child: bool | None,
    age_years: float | None,
    book: Protocols | None = None,
) -> tuple[Screen, ...]:
    """The screens for a story: emergency ones of every family first, at most MAX_SCREENS."""
    book = book or default_protocols()
    screens = [
        s for fid in dict.fromkeys(families) for s in book.family(fid).screens
        if s.applies(is_child, age_years)
    ]
    ordered = sorted(screens, key=lambda s: -rank(s.level))  # stable: family order kept
    return tuple(ordered[:MAX_SCREENS])


def screen_hits(answers: Mapping[str, str], book: Protocols | None = None) -> list[RuleHit]:
    """Rule-like hits from screen answers: yes gives the screen's level, unsure one step less."""
    screens = (book or default_protocols()).screens
    hits = []
    for screen_id, answer in answers.items():
        screen = screens.get(screen_id)
        if screen is None or answer not in (YES, UNSURE):
            continue
        if answer == YES:
            hits.append(RuleHit(screen.field, screen.level, screen.reason))
        else:
            sign = screen.reason[0].lower() + screen.reason[1:]
            hits.append(RuleHit(screen.field, screen.unsure_level, UNSURE_REASON.format(sign=sign)))
    return hits


def crisis_screens(answers: Mapping[str, str], book: Protocols | None = None) -> dict[str, str]:
    """Answers given to the mental-health crisis screens (id -> yes/no/unsure)."""
    screens = (book or default_protocols()).screens
    return {i: a for i, a in answers.items() if i in screens and screens[i].crisis}


def dangerous_uncovered(
    families: Iterable[str], rule_ids: Iterable[str], book: Protocols | None = None
) -> list[Family]:
    """Dangerous families in the story that no fired routine or self-care rule explains."""
    book = book or default_protocols()
    fired = tuple(rule_ids)
    return [
        f for f in (book.family(i) for i in dict.fromkeys(families))
        if f.dangerous and not f.covered(fired)
    ]

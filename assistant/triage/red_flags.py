"""Deterministic triage rules: term groups and rules loaded from `red_flags.toml`.

The rules live in data so that clinicians can review them line by line (docs/triage.md lists
each with its source). They run before, and regardless of, any language model: an emergency
rule that fires cannot be overruled.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType

from assistant.triage.levels import LEVELS
from assistant.triage.matching import (
    Findings,
    compile_group,
    find_mentions,
    fix_typos,
    normalise,
)

RULES_FILE = "red_flags.toml"
CHILD_AGE_YEARS = 16.0


@dataclass(frozen=True)
class Context:
    """Facts the rule conditions need, from the intake state or the text itself."""

    age_years: float | None = None
    is_child: bool | None = None
    pregnant: bool | None = None
    duration_days: float | None = None


@dataclass(frozen=True)
class Rule:
    """One documented rule: fires when all its term groups are present and conditions hold."""

    id: str
    level: str
    reason: str
    source: str
    all: tuple[str, ...]
    unless: tuple[tuple[str, ...], ...] = ()
    child: bool | None = None
    pregnant: bool | None = None
    min_age_years: float | None = None
    max_age_years: float | None = None
    min_duration_days: float | None = None
    max_duration_days: float | None = None

    def conditions_hold(self, ctx: Context) -> bool:
        if self.child and not ctx.is_child:
            return False
        if self.pregnant and not ctx.pregnant:
            return False
        if self.min_age_years is not None and (
            ctx.age_years is None or ctx.age_years < self.min_age_years
        ):
            return False
        if self.max_age_years is not None and (
            ctx.age_years is None or ctx.age_years >= self.max_age_years
        ):
            return False
        if self.min_duration_days is not None and (
            ctx.duration_days is None or ctx.duration_days < self.min_duration_days
        ):
            return False
        return not (
            self.max_duration_days is not None
            and ctx.duration_days is not None
            and ctx.duration_days > self.max_duration_days
        )


@dataclass(frozen=True)
class RuleHit:
    """A rule that fired (its id, level and plain-language reason)."""

    rule_id: str
    level: str
    reason: str


@dataclass(frozen=True)
class RuleBook:
    """Compiled term groups plus the rules that use them.

    `past_counts`: groups whose meaning is history ("diabetic", "had a transplant"), for which a
    mention in the past still counts.
    """

    terms: dict[str, re.Pattern[str]]
    rules: tuple[Rule, ...]
    past_counts: frozenset[str] = frozenset()


def _expand_includes(raw_terms: dict[str, list[str]]) -> dict[str, list[str]]:
    """Replace each '@group' entry by that group's patterns (recursively, no cycles)."""

    def expand(name: str, seen: tuple[str, ...]) -> list[str]:
        if name in seen:
            raise ValueError(f"term group {name}: includes itself via {' -> '.join(seen)}")
        if name not in raw_terms:
            raise ValueError(f"term group {seen[-1]}: includes undefined group {name!r}")
        out: list[str] = []
        for p in raw_terms[name]:
            out.extend(expand(p[1:], (*seen, name)) if p.startswith("@") else [p])
        return out

    return {name: expand(name, ()) for name in raw_terms}


def parse_rulebook(data: dict) -> RuleBook:
    """Build a RuleBook from parsed TOML, rejecting unknown levels and undefined term groups."""
    terms = {name: compile_group(ps) for name, ps in _expand_includes(data["terms"]).items()}
    past_counts = frozenset(data.get("scope", {}).get("past_counts", ()))
    unknown = sorted(past_counts - set(terms))
    if unknown:
        raise ValueError(f"scope.past_counts: undefined term groups {unknown}")
    rules = []
    for raw in data["rule"]:
        rule = Rule(
            id=raw["id"],
            level=raw["level"],
            reason=raw["reason"],
            source=raw["source"],
            all=tuple(raw["all"]),
            unless=tuple(tuple(group) for group in raw.get("unless", ())),
            child=raw.get("child"),
            pregnant=raw.get("pregnant"),
            min_age_years=raw.get("min_age_years"),
            max_age_years=raw.get("max_age_years"),
            min_duration_days=raw.get("min_duration_days"),
            max_duration_days=raw.get("max_duration_days"),
        )
        if rule.level not in LEVELS:
            raise ValueError(f"rule {rule.id}: unknown level {rule.level!r}")
        if rule.level == "emergency" and rule.unless:
            raise ValueError(f"rule {rule.id}: emergency rules may not be suppressed by 'unless'")
        missing = [g for g in (*rule.all, *(g for c in rule.unless for g in c)) if g not in terms]
        if missing:
            raise ValueError(f"rule {rule.id}: undefined term groups {missing}")
        rules.append(rule)
    ids = [r.id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate rule ids")
    return RuleBook(terms=terms, rules=tuple(rules), past_counts=past_counts)


@lru_cache(maxsize=1)
def default_rulebook() -> RuleBook:
    """The packaged rules (read once; the RuleBook is immutable)."""
    raw = resources.files("assistant.triage").joinpath(RULES_FILE).read_text(encoding="utf-8")
    return parse_rulebook(tomllib.loads(raw))


@lru_cache(maxsize=1)
def english_lexicon() -> Mapping[str, int]:
    """English words with their frequencies (pyspellchecker's list), for typo correction."""
    from spellchecker import SpellChecker

    return MappingProxyType(dict(SpellChecker(language="en", distance=1).word_frequency.dictionary))


def find_terms(text: str, book: RuleBook | None = None) -> Findings:
    """Which term groups the text affirms for the patient now, and which it sets aside.

    Mention offsets refer to the normalised, typo-corrected text, not to `text`.
    """
    book = book or default_rulebook()
    clean = fix_typos(normalise(text), book.terms, english_lexicon())
    return find_mentions(clean, book.terms, book.past_counts)


def evaluate(
    text: str,
    context: Context | None = None,
    book: RuleBook | None = None,
    extra: frozenset[str] = frozenset(),
) -> list[RuleHit]:
    """Every rule that fires on `text`, most urgent first.

    `extra` names term groups to count as present besides those the patterns find (the meaning
    layer's findings), so one rule book decides for both layers.
    """
    book = book or default_rulebook()
    ctx = context or Context()
    present = find_terms(text, book).present | extra
    hits = [
        RuleHit(rule.id, rule.level, rule.reason)
        for rule in book.rules
        if all(g in present for g in rule.all)
        and rule.conditions_hold(ctx)
        and not any(all(g in present for g in conj) for conj in rule.unless)
    ]
    return sorted(hits, key=lambda h: LEVELS.index(h.level))

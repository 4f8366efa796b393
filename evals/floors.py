"""Check a smoke run's headline metrics against the limits checked in as evals/floors.toml.

Tables named after a section hold floors (minimums), e.g. `[retrieval] "recall@5" = 0.8`; the
`[ceilings]` table holds maximums for lower-is-better metrics by dotted name, e.g.
`"triage.under_triage_rate" = 0.4`.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

FLOORS_FILE = Path(__file__).with_name("floors.toml")


@dataclass(frozen=True)
class Limit:
    metric: str  # dotted path into results.json, e.g. "retrieval.recall@5"
    bound: float
    kind: str  # "floor" (value >= bound) or "ceiling" (value <= bound)

    def passes(self, value: float | None) -> bool:
        if value is None or math.isnan(value):
            return False  # a metric that is missing or undefined never passes
        return value >= self.bound if self.kind == "floor" else value <= self.bound


def parse_limits(text: str, source: str = "floors.toml") -> list[Limit]:
    limits = []
    for section, entries in tomllib.loads(text).items():
        if not isinstance(entries, dict):
            raise ValueError(f"{source}: expected tables of limits, got {section} = {entries!r}")
        for metric, bound in entries.items():
            if section == "ceilings":
                limits.append(Limit(metric, float(bound), "ceiling"))
            else:
                limits.append(Limit(f"{section}.{metric}", float(bound), "floor"))
    return limits


def load_limits(path: Path = FLOORS_FILE) -> list[Limit]:
    return parse_limits(path.read_text(), str(path))


def lookup(results: dict, dotted: str) -> float | None:
    """Follow `a.b.c` into nested dicts; None when absent or not a number. Metric names contain
    `@` but never `.`, so the split is unambiguous."""
    value: object = results
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check(results: dict, limits: list[Limit]) -> dict[str, object]:
    """The `floors` section of a smoke run's results.json."""
    checks = []
    for limit in limits:
        value = lookup(results, limit.metric)
        checks.append({"metric": limit.metric, "kind": limit.kind, "value": value,
                       "bound": limit.bound, "ok": limit.passes(value)})
    return {"passed": all(c["ok"] for c in checks), "checks": checks}

"""Side-by-side table of two runs' metrics, with the change from A to B."""

from __future__ import annotations

from collections.abc import Iterator

from evals.report import table

SECTIONS = ("retrieval", "qa", "citations", "triage", "speed")
SKIP = {"ci", "labels", "confusion", "tasks", "samples", "missing_gold_examples",
        "answers_by_source", "f1_per_label", "accuracy_per_level"}


def flatten(results: dict) -> dict[str, float]:
    """`section.metric` (and `section.baselines.name.metric`) -> number, for every number."""
    flat: dict[str, float] = {}

    def walk(prefix: str, value: object) -> Iterator[None]:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            flat[prefix] = float(value)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k not in SKIP:
                    yield from walk(f"{prefix}.{k}", v)
        yield None

    for section in SECTIONS:
        if section in results:
            list(walk(section, results[section]))
    return flat


def compare(a: dict, b: dict) -> list[tuple[str, float | None, float | None, float | None]]:
    """(metric, A, B, B - A) for each metric in either run, in A's order then B's extras."""
    fa, fb = flatten(a), flatten(b)
    rows = []
    for key in list(dict.fromkeys([*fa, *fb])):
        va, vb = fa.get(key), fb.get(key)
        delta = vb - va if va is not None and vb is not None else None
        rows.append((key, va, vb, delta))
    return rows


def render(a_name: str, b_name: str, rows: list) -> str:
    return "\n".join(
        [f"# compare: A = {a_name}, B = {b_name}", ""]
        + table(["metric", "A", "B", "B − A"],
                [[k, va, vb, None if d is None else f"{d:+.3f}"] for k, va, vb, d in rows])
    ) + "\n"

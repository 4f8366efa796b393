"""Write a run's outputs: results.json, report.md and the figures."""

from __future__ import annotations

import json
import math
from pathlib import Path

from evals.plots import plot_results
from evals.report import render


def _clean(value: object) -> object:
    """JSON has no NaN: an undefined metric is written as null."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def write_outputs(results: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    path.write_text(json.dumps(_clean(results), indent=2, ensure_ascii=False, default=str) + "\n")
    report = out / "report.md"
    figures = plot_results(results, out)
    text = render(results)
    if figures:
        text += "\n## figures\n\n" + "\n".join(f"![{f.stem}]({f.name})" for f in figures) + "\n"
    report.write_text(text)
    return [path, report, *figures]


def load_results(run: str | Path) -> dict:
    """results.json of a run folder (or the file itself)."""
    path = Path(run)
    if path.is_dir():
        path = path / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no results.json at {path}")
    return json.loads(path.read_text())

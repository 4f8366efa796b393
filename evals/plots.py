"""PNG figures for a run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from evals.suites.retrieval import METRICS as RETRIEVAL_METRICS  # noqa: E402


def confusion_png(
    labels: Sequence[str], matrix: Sequence[Sequence[int]], title: str, path: Path
) -> Path:
    fig, ax = plt.subplots(figsize=(1.6 * len(labels) + 2, 1.3 * len(labels) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            color = "white" if peak and value > peak / 2 else "black"
            ax.text(j, i, str(value), ha="center", va="center", color=color)
    ax.set_title(title)
    return _save(fig, path)


def retrieval_bars_png(section: dict, path: Path) -> Path:
    methods = {f"{section['mode']} (system)": section, **section.get("baselines", {})}
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(methods)
    for i, (name, values) in enumerate(methods.items()):
        xs = [x + i * width for x in range(len(RETRIEVAL_METRICS))]
        ax.bar(xs, [values[k] for k in RETRIEVAL_METRICS], width, label=name)
    ax.set_xticks([x + width * (len(methods) - 1) / 2 for x in range(len(RETRIEVAL_METRICS))],
                  RETRIEVAL_METRICS)
    ax.set_ylim(0, 1)
    ax.set_title(f"retrieval ({section['n']} questions)")
    ax.legend()
    return _save(fig, path)


def latency_png(samples: dict[str, Sequence[float]], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(samples), figsize=(4.5 * len(samples), 3.5), squeeze=False)
    for ax, (name, values) in zip(axes[0], samples.items(), strict=True):
        ax.hist(values, bins=min(30, max(5, len(values) // 3)))
        ax.set_title(name)
        ax.set_xlabel("seconds")
    return _save(fig, path)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_results(results: dict, out: Path) -> list[Path]:
    """Every figure the sections of `results` call for; returns the files written."""
    written = []
    if "retrieval" in results:
        written.append(retrieval_bars_png(results["retrieval"], out / "retrieval.png"))
    for task, sub in results.get("qa", {}).get("tasks", {}).items():
        written.append(confusion_png(sub["labels"], sub["confusion"], f"qa: {task}",
                                     out / f"qa-{task}-confusion.png"))
    for name in ("triage", "triage_conversations"):
        if "confusion" in results.get(name, {}):
            t = results[name]
            written.append(confusion_png(t["labels"], t["confusion"], name.replace("_", " "),
                                         out / f"{name.replace('_', '-')}-confusion.png"))
    samples = results.get("speed", {}).get("samples")
    if samples:
        written.append(latency_png(samples, out / "speed-latency.png"))
    return written

"""results.json -> report.md: the same numbers as readable tables."""

from __future__ import annotations

import math
from collections.abc import Sequence

HEADLINES = {
    "retrieval": ("recall@1", "recall@5", "recall@10", "recall@20", "mrr@10", "ndcg@10"),
    "qa": ("accuracy", "macro_f1", "gold_in_passages"),
    "citations": ("citation_precision", "citation_validity", "abstention_rate",
                  "answers_with_citations"),
    "triage": ("accuracy", "macro_f1", "emergency_sensitivity", "under_triage_rate",
               "over_triage_rate", "self_care_over_triage", "emergencies_to_self_care"),
    "triage_conversations": ("accuracy", "macro_f1", "emergency_sensitivity",
                             "escalated_in_time", "emergency_escalated_in_time",
                             "under_triage_rate", "over_triage_rate", "self_care_over_triage",
                             "emergencies_to_self_care"),
    "speed": ("index_passages_per_s", "retrieval_p50_ms", "retrieval_p95_ms",
              "time_to_first_token_s", "tokens_per_s", "answer_p50_s", "answer_p95_s",
              "embedder_device", "generator_device"),
}


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(c) for c in row) + " |" for row in rows]
    return lines


def _with_ci(section: dict, name: str) -> str:
    ci = section.get("ci", {}).get(name)
    text = fmt(section.get(name))
    return f"{text} [{fmt(ci[0])}, {fmt(ci[1])}]" if ci else text


def _section(name: str, section: dict) -> list[str]:
    lines = [f"## {name}", ""]
    metrics = [k for k in HEADLINES.get(name, ()) if k in section]
    if name == "retrieval":
        qps = section.get("queries_per_s", {})
        mode = section.get("mode")
        rows = [[f"{mode} (system)", *[_with_ci(section, k) for k in metrics], fmt(qps.get(mode))]]
        rows += [[b, *[_with_ci(s, k) for k in metrics], fmt(qps.get(b))]
                 for b, s in section.get("baselines", {}).items()]
        rows.append(["ratio to best baseline",
                     *[section.get("ratio_to_best_baseline", {}).get(k) for k in metrics], ""])
        lines += table(["method", *metrics, "queries/s"], rows)
        lines += ["", f"{section.get('n')} questions scored; "
                      f"{section.get('missing_gold_ids')} gold ids not in the corpus; "
                      f"{section.get('unscorable_questions')} questions without a gold document "
                      "in the corpus (left out). Index size on disk: "
                      f"{(section.get('index_bytes') or 0) / 2**20:.1f} MiB."]
    else:
        lines += table(["metric", "value [95% CI]"], [[k, _with_ci(section, k)] for k in metrics])
    for label, baseline in section.get("baselines", {}).items() if name != "retrieval" else ():
        lines += ["", f"Baseline `{label}`: "
                  + ", ".join(f"{k} {fmt(v)}" for k, v in baseline.items())]
    if "confusion" in section:
        lines += ["", *_confusion(section["labels"], section["confusion"])]
    for task, sub in section.get("tasks", {}).items():
        lines += ["", f"### {name}: {task} ({sub['n']} questions)", ""]
        lines += table(["metric", "value [95% CI]"],
                       [[k, _with_ci(sub, k)] for k in ("accuracy", "macro_f1")])
        lines += ["", *_confusion(sub["labels"], sub["confusion"])]
    if name == "floors":
        lines = ["## smoke floors", ""]
        lines += table(["metric", "value", "limit", "kind", "ok"],
                       [[c["metric"], c["value"], c["bound"], c["kind"], "yes" if c["ok"] else "NO"]
                        for c in section["checks"]])
    return lines + [""]


def _confusion(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> list[str]:
    rows = [[f"gold {g}", *row] for g, row in zip(labels, matrix, strict=True)]
    return table(["", *[f"→ {p}" for p in labels]], rows)


def render(results: dict) -> str:
    lines = [f"# medchat evaluation: {results.get('suite')}", ""]
    lines += table(["", ""], [
        ["started", results.get("started")],
        ["seed", results.get("seed")],
        ["models", ", ".join(f"{k}={v}" for k, v in results.get("models", {}).items())],
        ["versions", ", ".join(f"{k} {v}" for k, v in results.get("versions", {}).items())],
        ["total seconds", results.get("timings", {}).get("total_s")],
    ])
    lines.append("")
    for name in ("retrieval", "qa", "citations", "triage", "triage_conversations", "speed",
                 "floors"):
        if name in results:
            lines += _section(name, results[name])
    return "\n".join(lines)

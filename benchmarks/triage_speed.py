"""Per-message cost of the triage, warm, one message at a time, on 1 and 2 CPU threads.

Configurations: rules only (the baseline), the default (rules + whole-story urgency model), and
the default with the sign detector on. Each dev story (`stories_dev.jsonl`) is one `assess` call;
each turn of the dev conversations is one `IntakeSession.reply` (the session re-triages the
whole transcript every turn). p50 / p95 in milliseconds, and their ratio to the rules-only
baseline measured in the same process. Run it with nothing else heavy running.

    .venv/bin/python benchmarks/triage_speed.py [--threads 1 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
STORIES = ROOT / "evals/data/triage/heldout/stories_dev.jsonl"
CONVERSATIONS = ROOT / "evals/data/triage/heldout/conversations_dev.jsonl"


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def time_stories(texts: list[str], signs, urgency, repeats: int
                 ) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU milliseconds per `assess` call."""
    from assistant.triage import assess

    wall, cpu = [], []
    for _ in range(repeats):
        for text in texts:
            start, start_cpu = time.perf_counter(), time.process_time()
            assess(text, signs=signs, urgency=urgency)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def time_turns(conversations: list[list[str]], signs, urgency, repeats: int
               ) -> tuple[list[float], list[float]]:
    """Wall-clock and process CPU milliseconds per `IntakeSession.reply`."""
    from assistant.triage import IntakeSession

    wall, cpu = [], []
    for _ in range(repeats):
        for turns in conversations:
            session = IntakeSession(signs=signs, urgency=urgency)
            for turn in turns:
                start, start_cpu = time.perf_counter(), time.process_time()
                session.reply(turn)
                wall.append((time.perf_counter() - start) * 1000)
                cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    import torch

    from assistant.triage.layers import load_layers

    texts = [s["text"] for s in read_jsonl(STORIES)]
    conversations = [c["turns"] for c in read_jsonl(CONVERSATIONS)]
    full = load_layers("medchat-triage-signs", "medchat-triage-urgency")
    configs = {
        "rules only": (None, None),
        "default (rules + urgency)": (None, full.urgency),
        "rules + urgency + signs": (full.signs, full.urgency),
    }
    print(f"{len(texts)} dev stories, {sum(map(len, conversations))} conversation turns; "
          f"{args.repeats} repeats; ms per message, warm; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print("| threads | configuration | unit | p50 ms | p95 ms | p50 x rules | p95 x rules "
          "| CPU ms p50 (all threads) |")
    print("|---|---|---|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        for unit, timer, items in (("story", time_stories, texts),
                                   ("turn", time_turns, conversations)):
            base = None
            for name, (signs, urgency) in configs.items():
                timer(items[:3], signs, urgency, 1)  # warm up: models loaded, caches filled
                ms, cpu = timer(items, signs, urgency, args.repeats)
                p50, p95 = statistics.median(ms), percentile(ms, 0.95)
                base = base or (p50, p95)
                print(f"| {threads} | {name} | {unit} | {p50:.1f} | {p95:.1f} | "
                      f"{p50 / base[0]:.1f} | {p95 / base[1]:.1f} | "
                      f"{statistics.median(cpu):.1f} |", flush=True)


if __name__ == "__main__":
    main()

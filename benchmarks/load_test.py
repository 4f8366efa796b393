"""Load test through the Gradio API: N concurrent sessions, each with its own marker.

    nice -n 10 python benchmarks/load_test.py --sessions 50            # launches app.py itself
    python benchmarks/load_test.py --sessions 8 --url http://127.0.0.1:7860/
    python benchmarks/load_test.py --sessions 8 --app /tmp/old/app.py --legacy-api   # old app

Every session is one browser: its own gradio_client `Client` (own session, own server state),
running a literature question and a patient intake conversation at the same time. Cross-talk is
checked with markers: each session's literature question is a different PubMedQA title, whose
source abstract (its PMID) must be in that session's sources; each patient gives a unique
made-up name, which must be in that session's clinician summary, and no other session's name
may be. The run is bounded (`--max-seconds`): unfinished work is counted as an error, and an app
it launched is stopped at the end.

Figures: per literature answer, the wait until its first update (the queue) and until the final
answer; per intake turn, the time to its reply; p50 / p95 / max of each.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

INTAKE_TURNS = (  # a self-care story that takes the whole history (8 turns)
    "My name is {marker}. I have had a sore throat and a runny nose for two days.",
    "no",
    "about 3",
    "no",
    "I am 34, female",
    "no",
    "no conditions and no medicines",
    "no allergies",
)

FINAL_WORDS = ("everything I need", "call your local emergency number now", "get help now")


@dataclass
class SessionResult:
    """What one session saw; `errors` and `crosstalk` are counted, never raised."""

    marker: str
    pmid: str
    first_update_s: float | None = None  # literature: wait until the first streamed update
    answer_s: float | None = None  # literature: until the final answer
    intake_turn_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)
    missed_source: bool = False  # own abstract not among the sources (retrieval, not cross-talk)


def pubmedqa_questions(n: int) -> list[tuple[str, str]]:
    """(title, PMID) of the first n PubMedQA abstracts with a question title, by PMID."""
    from corpus.builtin import read_builtin

    docs = sorted((d for d in read_builtin(sources=["pubmedqa"]) if d.title.endswith("?")),
                  key=lambda d: d.pmid)
    return [(d.title, d.pmid) for d in docs[:n]]


def markers(n: int) -> list[str]:
    """Unique made-up names, one per session ("Zorvik" + letters): never a real word."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    return [f"Zorvik{letters[i // 26 % 26]}{letters[i % 26]}" for i in range(n)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(app: Path, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "MEDCHAT_APP__HOST": "127.0.0.1", "MEDCHAT_APP__PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(app)], cwd=REPO, env=env,
                            stdout=log_path.open("w"), stderr=subprocess.STDOUT)


def wait_until_up(url: str, proc: subprocess.Popen | None, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the app exited with code {proc.returncode} before serving")
        try:
            with urllib.request.urlopen(url + "gradio_api/info", timeout=5):
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"the app did not answer at {url} within {seconds:.0f} s")


def text_of(value: object) -> str:
    """A chat message or message list from the API, as plain text."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        content = value.get("content", value.get("text", ""))
        return text_of(content)
    if isinstance(value, list | tuple):
        return " ".join(text_of(v) for v in value)
    return "" if value is None else str(value)


def summary_text(value: object) -> str:
    """The intake's summary output: a downloaded file's text (new app) or the text itself."""
    path = value.get("path") if isinstance(value, dict) else value
    if isinstance(path, str) and os.path.isfile(path):
        return Path(path).read_text(encoding="utf-8")
    return text_of(value)


def finish(job, started: float, timeout: float, on_first_update=None) -> tuple:
    """Wait for a job, at most `timeout` seconds from `started` (then cancel it and raise
    TimeoutError): the run stops by itself even when a stream breaks."""
    while not job.done():
        if on_first_update is not None and job.outputs():
            on_first_update(time.monotonic() - started)
            on_first_update = None
        if time.monotonic() - started > timeout:
            job.cancel()
            raise TimeoutError(f"no answer within {timeout:.0f} s")
        time.sleep(0.1)
    if on_first_update is not None:
        on_first_update(time.monotonic() - started)
    return job.result(timeout=5)


def literature(client, result: SessionResult, question: str, legacy: bool, timeout: float):
    start = time.monotonic()
    args = (question, []) if legacy else (question,)

    def first(seconds: float) -> None:  # the first streamed update ends the wait in the queue
        result.first_update_s = seconds

    outputs = finish(client.submit(*args, api_name="/ask"), start, timeout, first)
    result.answer_s = time.monotonic() - start
    sources = text_of(outputs[-1])
    if f"pubmed.ncbi.nlm.nih.gov/{result.pmid}/" not in sources:
        result.missed_source = True
    return sources


def intake(client, result: SessionResult, legacy: bool, timeout: float) -> str:
    history: list = []
    summary = ""
    for i, template in enumerate(INTAKE_TURNS):
        message = template.format(marker=result.marker)
        start = time.monotonic()
        if legacy:
            _, history, _level, summary = finish(
                client.submit(message, history, api_name="/intake"), start, timeout)
            reply = text_of(history[-1])
        else:
            _, history, _banner, json_file, _text_file = finish(
                client.submit(message, api_name="/intake"), start, timeout)
            reply, summary = text_of(history[-1]), summary_text(json_file)
        result.intake_turn_s.append(time.monotonic() - start)
        if any(end in reply for end in FINAL_WORDS) or i == len(INTAKE_TURNS) - 1:
            break
    return summary


def run_session(url: str, result: SessionResult, question: str | None, pmids: list[str],
                names: list[str], legacy: bool, timeout: float) -> None:
    """One browser's work: the intake conversation and (when `question`) a literature question,
    at the same time, through one client."""
    from gradio_client import Client

    try:
        # a generous HTTP timeout: 50 clients fetching the config at once on a busy CPU
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 120})
    except Exception as exc:  # noqa: BLE001 - a load test counts every failure
        result.errors.append(f"connect: {type(exc).__name__}: {exc}")
        return

    def lit() -> None:
        try:
            sources = literature(client, result, question, legacy, timeout)
            others = [m for m in pmids if m != result.pmid and
                      f"pubmed.ncbi.nlm.nih.gov/{m}/" in sources]
            if result.missed_source and others:
                result.crosstalk.append(f"literature shows another session's source {others}")
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"literature: {type(exc).__name__}: {exc}")

    def pat() -> None:
        try:
            summary = intake(client, result, legacy, timeout)
            if result.marker not in summary:
                result.crosstalk.append("own marker missing from the summary")
            strangers = [m for m in names if m != result.marker and m in summary]
            if strangers:
                result.crosstalk.append(f"summary holds other sessions' words {strangers}")
        except Exception as exc:  # noqa: BLE001
            result.errors.append(f"intake: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=pat)] + ([threading.Thread(target=lit)] if question
                                                 else [])
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(results: list[SessionResult], seconds: float) -> dict:
    first = [r.first_update_s for r in results if r.first_update_s is not None]
    answer = [r.answer_s for r in results if r.answer_s is not None]
    turns = [t for r in results for t in r.intake_turn_s]
    figures = {
        "sessions": len(results),
        "errors": sum(len(r.errors) for r in results),
        "crosstalk": sum(len(r.crosstalk) for r in results),
        "literature answers": len(answer),
        "own source missed": sum(r.missed_source for r in results),
        "intake turns": len(turns),
        "wall seconds": round(seconds, 1),
    }
    rows = [("literature: wait to first update", first), ("literature: to final answer", answer),
            ("intake: one turn", turns)]
    print("| " + " | ".join(figures) + " |")
    print("|" + "---|" * len(figures))
    print("| " + " | ".join(str(v) for v in figures.values()) + " |")
    print()
    print("| latency (s) | n | p50 | p95 | max |")
    print("|---|---|---|---|---|")
    for name, values in rows:
        print(f"| {name} | {len(values)} | {percentile(values, 50):.2f} | "
              f"{percentile(values, 95):.2f} | {max(values, default=float('nan')):.2f} |")
        figures[name] = {"p50": percentile(values, 50), "p95": percentile(values, 95),
                         "max": max(values, default=float("nan")), "n": len(values)}
    for r in results:
        for problem in r.errors + r.crosstalk:
            print(f"session {r.marker}: {problem}")
    return figures


def run(url: str, sessions: int, legacy: bool = False, max_seconds: float = 3600,
        literature: int | None = None) -> dict:
    """Start every session at once; wait at most `max_seconds`; the figures. The first
    `literature` sessions (default: all) also ask a literature question."""
    questions = pubmedqa_questions(sessions)
    names = markers(sessions)
    results = [SessionResult(marker=m, pmid=p) for m, (_, p) in zip(names, questions,
                                                                        strict=True)]
    pmids = [p for _, p in questions]
    start = time.monotonic()
    pool = ThreadPoolExecutor(max_workers=sessions)
    asking = sessions if literature is None else literature
    futures = [pool.submit(run_session, url, r, q if i < asking else None, pmids, names, legacy,
                           max_seconds)
               for i, (r, (q, _)) in enumerate(zip(results, questions, strict=True))]
    _, pending = wait(futures, timeout=max_seconds)
    for r, f in zip(results, futures, strict=True):
        if f in pending:
            r.errors.append(f"unfinished after {max_seconds:.0f} s")
    pool.shutdown(wait=False, cancel_futures=True)
    return report(results, time.monotonic() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--url", help="a running app; default: launch --app on a free port")
    parser.add_argument("--app", type=Path, default=REPO / "app.py")
    parser.add_argument("--legacy-api", action="store_true",
                        help="the app before issue 19: /ask and /intake take (message, history)")
    parser.add_argument("--literature", type=int,
                        help="how many sessions also ask a literature question (default: all)")
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    proc = None
    url = args.url
    if not url:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        proc = launch(args.app, port, Path(os.environ.get("TMPDIR", "/tmp")) / "load_test_app.log")
    try:
        wait_until_up(url, proc, 600)
        figures = run(url, args.sessions, args.legacy_api, args.max_seconds, args.literature)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    if figures["errors"] or figures["crosstalk"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()

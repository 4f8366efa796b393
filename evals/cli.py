"""`python -m evals SUITE ...` and `python -m evals compare RUN_A RUN_B` (also `medchat eval`)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from corpus.errors import MedchatError

SUITES = ("retrieval", "qa", "citations", "triage", "speed", "all", "smoke")
MODES = ("dense", "bm25", "hybrid")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m evals",
        description="Offline evaluation of medchat: retrieval, QA, citations, triage, speed.",
        epilog="Compare two runs: python -m evals compare RUN_A RUN_B [--out FILE]",
    )
    parser.add_argument("suite", choices=SUITES, help="what to evaluate")
    parser.add_argument("--config", type=Path, help="medchat settings file (default: medchat's)")
    parser.add_argument("--limit", type=int, help="first N questions/vignettes of each file")
    parser.add_argument("--out", type=Path, help="run folder (default runs/<suite>-<timestamp>)")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="corpus file or folder to index into the eval cache (repeatable); "
                             "default: medchat's own index")
    parser.add_argument("--questions", type=Path, action="append",
                        help="questions JSONL (repeatable); default: the suite's shipped set")
    parser.add_argument("--vignettes", type=Path, help="triage vignettes JSONL")
    parser.add_argument("--conversations", type=Path,
                        help="triage: conversations JSONL ({id, turns, gold, escalate_by}); "
                             "alone it replaces the vignettes, with --vignettes both are scored")
    parser.add_argument("--gold-context", action="store_true",
                        help="qa: read the gold document's passages instead of retrieved ones")
    parser.add_argument("--mode", choices=MODES, help="retrieval mode of the system under test")
    parser.add_argument("--reranker",
                        help="CrossEncoder folder or id: the system reranks its fused top n "
                             "(retrieval also reports the ranking without it)")
    parser.add_argument("--no-langchain", action="store_true",
                        help="retrieval: skip the LangChain baseline (it queries one at a time)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out (default: the latest runs/<suite>-*)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    return parser


def compare_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m evals compare",
                                     description="Side-by-side metrics of two runs, B minus A.")
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    parser.add_argument("--out", type=Path,
                        help="markdown file to write (default: compare.md in RUN_B)")
    return parser


def run_folder(suite: str, out: Path | None, resume: bool, root: Path = Path("runs")) -> Path:
    """--out, else with --resume the newest runs/<suite>-*, else a new runs/<suite>-<time>."""
    if out is not None:
        return out
    if resume:
        previous = sorted(root.glob(f"{suite}-*"))
        if previous:
            return previous[-1]
    return root / f"{suite}-{datetime.now():%Y%m%d-%H%M%S}"


def compare_main(argv: list[str]) -> int:
    from evals import compare
    from evals.results import load_results

    args = compare_parser().parse_args(argv)
    try:
        a, b = load_results(args.run_a), load_results(args.run_b)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    text = compare.render(str(args.run_a), str(args.run_b), compare.compare(a, b))
    print(text)
    target = args.out or (args.run_b if args.run_b.is_dir() else args.run_b.parent) / "compare.md"
    target.write_text(text)
    print(f"written to {target}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["compare"]:
        return compare_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    from evals.runner import run_suite

    out = run_folder(args.suite, args.out, args.resume)
    try:
        return run_suite(args, out)
    except (MedchatError, OSError) as exc:  # input, setup or machine: a message; bugs raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\ninterrupted; continue with: python -m evals {args.suite} --resume --out {out}",
              file=sys.stderr)
        return 130

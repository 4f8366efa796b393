"""Wire a command line to the suites: read the inputs, build the system, run, write the outputs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pydantic

from evals import defaults, floors
from evals.context import RunContext
from evals.corpusdata import CorpusData, aliases_of, gold_passages, load_corpus
from evals.formats import Question, read_conversations, read_questions, read_vignettes
from evals.provenance import fingerprints, versions
from evals.results import write_outputs
from evals.suites import citations, qa, retrieval, speed, triage
from evals.system import System, seed_everything

ALL = ("retrieval", "qa", "citations", "triage", "speed")


@dataclasses.dataclass
class Inputs:
    """Everything a suite reads, loaded once per run; `files` collects what was read."""

    args: argparse.Namespace
    ctx: RunContext
    system: System
    files: list[Path] = dataclasses.field(default_factory=list)
    corpus: CorpusData | None = None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def questions(self, suite: str, limit: int | None = None) -> list[Question]:
        """The suite's questions: the smoke plan's, else --questions, else the shipped set."""
        paths = self.args.questions or list(defaults.QUESTIONS[suite])
        planned = getattr(self.args, "suite_questions", {}).get(suite)
        if planned:
            paths, limit = planned
        found: list[Question] = []
        for path in paths:
            self.files.append(Path(path))
            found += read_questions(path, limit if limit is not None else self.ctx.limit)
        return found

    def load_corpus(self) -> CorpusData | None:
        if self.corpus is None and self.args.corpus:
            self.corpus = load_corpus(self.args.corpus)
        return self.corpus

    def index(self) -> Path:
        folder, info = self.system.index_for(self.load_corpus())
        if "index_s" in info:
            self.timings["index_build_s"] = info["index_s"]
        return folder


def run_retrieval(inp: Inputs) -> dict:
    questions = inp.questions("retrieval")
    index_dir = inp.index()
    retriever = inp.system.retriever(index_dir)
    corpus = inp.load_corpus()
    aliases = aliases_of(corpus.documents if corpus else retriever.index.store.iter_passages())
    start = time.perf_counter()
    langchain = (not getattr(inp.args, "no_langchain", False)
                 and retriever.index.manifest.index_factory == "Flat")  # needs the exact vectors
    mode, baselines = table_rows(inp.system.mode, retriever.reranker is not None, langchain)
    section = retrieval.run(questions, Methods(retriever), mode, inp.ctx, aliases, baselines)
    inp.timings["retrieval_s"] = time.perf_counter() - start
    section["index"] = str(index_dir)
    section["index_bytes"] = sum(
        f.stat().st_size for f in retriever.index.folder.rglob("*") if f.is_file()
    )
    return section


def table_rows(mode: str, reranks: bool, langchain: bool) -> tuple[str, tuple[str, ...]]:
    """(system row, baseline rows): a reranking system is compared with its own fused ranking,
    BM25, dense and (if wanted) the LangChain recipe."""
    baselines: tuple[str, ...] = ("bm25", "dense")
    if reranks:
        mode, baselines = f"{mode}+rerank", tuple(dict.fromkeys((mode, *baselines)))
    return mode, baselines + (("langchain",) if langchain else ())


class Methods:
    """The system's retriever under each name the retrieval table has a row for: its modes,
    a mode + "+rerank", and "langchain" (the plain LangChain FAISS recipe over the same passages
    and embedder, built on first use)."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self._langchain = None

    def search_many(self, queries: list[str], k: int | None = None, mode: str | None = None):
        if mode == "langchain":
            if self._langchain is None:
                from retrieval.langchain_store import LangChainBaseline

                self._langchain = LangChainBaseline(self.retriever.index, self.retriever.embedder)
            return self._langchain.search_many(queries, k or self.retriever.settings.top_k)
        base, _, rerank = (mode or "").partition("+")
        return self.retriever.search_many(queries, k, base or None, rerank=rerank == "rerank")


def _passage_source(inp: Inputs, questions: list[Question], index_dir: Path):
    """Where the reader's passages come from: the gold document's, or the retriever's top k."""
    if inp.args.gold_context:
        wanted = {g for q in questions for g in q.gold_ids}
        corpus = inp.load_corpus()
        if corpus is not None:
            table = gold_passages(corpus.documents, wanted, inp.system.settings.chunking)
        else:
            table = {}
            for p in inp.system.retriever(index_dir).index.store.iter_passages():
                for key in {p.doc_id, p.pmid} & wanted:
                    table.setdefault(key, []).append(p)
        return lambda q: [p for g in q.gold_ids[:1] for p in table.get(g, [])]
    searcher = inp.system.retriever(index_dir)
    k = inp.system.settings.retrieval.top_k
    return lambda q: [h.passage for h in searcher.search_many([q.question], k)[0]]


def run_qa(inp: Inputs) -> dict:
    questions = inp.questions("qa")
    index_dir = inp.index()
    chooser = inp.system.assistant(index_dir)
    start = time.perf_counter()
    section = qa.run(questions, chooser, _passage_source(inp, questions, index_dir), inp.ctx,
                     inp.args.gold_context)
    inp.timings["qa_s"] = time.perf_counter() - start
    return section


def run_citations(inp: Inputs) -> dict:
    limit = inp.ctx.limit or citations.DEFAULT_LIMIT
    questions = inp.questions("citations", limit)
    answerer = inp.system.assistant(inp.index())
    start = time.perf_counter()
    section = citations.run(questions, answerer, inp.ctx)
    inp.timings["citations_s"] = time.perf_counter() - start
    return section


def run_triage(inp: Inputs) -> dict:
    path = inp.args.vignettes or defaults.VIGNETTES
    inp.files.append(Path(path))
    vignettes = read_vignettes(path, inp.ctx.limit)
    start = time.perf_counter()
    section = triage.run(vignettes, inp.system.assess, inp.ctx)
    inp.timings["triage_s"] = time.perf_counter() - start
    return section


def run_triage_conversations(inp: Inputs) -> dict:
    path = inp.args.conversations
    inp.files.append(Path(path))
    conversations = read_conversations(path, inp.ctx.limit)
    start = time.perf_counter()
    section = triage.run_conversations(conversations, inp.system.intake_session, inp.ctx)
    inp.timings["triage_conversations_s"] = time.perf_counter() - start
    return section


def run_speed(inp: Inputs) -> dict:
    questions = inp.questions("speed", inp.ctx.limit or speed.DEFAULT_QUESTIONS)
    start = time.perf_counter()
    section = speed.run(inp.system, questions, inp.index(), inp.ctx)
    inp.timings["speed_s"] = time.perf_counter() - start
    return section


RUNNERS = {"retrieval": run_retrieval, "qa": run_qa, "citations": run_citations,
           "triage": run_triage, "triage_conversations": run_triage_conversations,
           "speed": run_speed}


def suite_sections(args: argparse.Namespace) -> tuple[str, ...]:
    """The sections a run computes: `triage --conversations F` alone scores only conversations;
    with --vignettes too, both."""
    if args.suite == "all":
        return ALL
    if args.suite == "triage" and getattr(args, "conversations", None):
        return ("triage", "triage_conversations") if args.vignettes else ("triage_conversations",)
    return getattr(args, "smoke_suites", (args.suite,))


def _jsonable(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return _jsonable(value.model_dump(mode="json"))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def run_suite(args: argparse.Namespace, out: Path) -> int:
    """Run one suite (or all, or smoke) into `out`; 0 on success, 1 when a smoke floor fails."""
    started = time.perf_counter()
    ctx = RunContext(out, args.seed, args.limit, args.resume, not args.no_progress)
    out.mkdir(parents=True, exist_ok=True)
    seed_everything(args.seed)
    if args.suite == "smoke":
        from evals.suites import smoke

        args = smoke.prepare(args, out)
    system = System.load(args.config, args.mode, progress=ctx.progress,
                         reranker=getattr(args, "reranker", None))
    inp = Inputs(args, ctx, system)
    results: dict[str, Any] = {
        "suite": args.suite,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"args": _jsonable(vars(args)), "settings": _jsonable(system.settings)},
        "versions": versions(),
        "models": system.models(),
        "seed": args.seed,
    }
    for name in suite_sections(args):
        print(f"== {name}", flush=True)
        results[name] = RUNNERS[name](inp)
    corpus = inp.corpus
    results["data"] = {
        "inputs": fingerprints(list(dict.fromkeys(inp.files))),
        "corpus": corpus.fingerprints if corpus else {"index": str(system.settings.index_dir)},
        "corpus_skipped_records": corpus.skipped if corpus else None,
    }
    inp.timings["total_s"] = time.perf_counter() - started
    results["timings"] = inp.timings
    status = 0
    if args.suite == "smoke":
        results["floors"] = floors.check(results, floors.load_limits())
        status = 0 if results["floors"]["passed"] else 1
    written = write_outputs(results, out)
    print(summary(results))
    print(f"wrote {', '.join(p.name for p in written)} to {out}")
    return status


def summary(results: dict) -> str:
    """A few headline numbers for the terminal; the full set is in results.json / report.md."""
    from evals.report import HEADLINES, fmt

    lines = []
    for name, keys in HEADLINES.items():
        if name in results:
            values = ", ".join(f"{k} {fmt(results[name].get(k))}" for k in keys
                               if k in results[name])
            lines.append(f"{name}: {values}")
    if "floors" in results:
        failed = [c for c in results["floors"]["checks"] if not c["ok"]]
        lines.append("floors: " + ("all met" if not failed else "NOT MET: " + json.dumps(failed)))
    return "\n".join(lines)

"""Wire a command line to the suites: read the inputs, build the system, run, write the outputs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from evals import defaults, floors
from evals.context import RunContext
from evals.corpusdata import CorpusData, aliases_of, gold_passages, load_corpus
from evals.formats import Question, read_questions, read_vignettes
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
    searcher = inp.system.retriever(index_dir)
    corpus = inp.load_corpus()
    aliases = aliases_of(corpus.documents if corpus else searcher.index.store.iter_passages())
    start = time.perf_counter()
    baselines = ("bm25", "dense")
    wanted = not getattr(inp.args, "no_langchain", False)
    if wanted and searcher.index.manifest.index_factory == "Flat":  # needs the exact vectors
        searcher = WithLangChain(searcher)
        baselines += ("langchain",)
    section = retrieval.run(questions, searcher, inp.system.mode, inp.ctx, aliases, baselines)
    inp.timings["retrieval_s"] = time.perf_counter() - start
    section["index"] = str(index_dir)
    section["index_bytes"] = sum(
        f.stat().st_size for f in searcher.index.folder.rglob("*") if f.is_file()
    )
    return section


class WithLangChain:
    """The system's searcher plus mode "langchain": the plain LangChain FAISS recipe over the
    same passages and embedder, queried one question at a time as that API does."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self.index = retriever.index
        self._store = None

    def search_many(self, queries: list[str], k: int | None = None, mode: str | None = None):
        if mode != "langchain":
            return self.retriever.search_many(queries, k, mode)
        if self._store is None:
            from retrieval.langchain_store import langchain_faiss

            self._store = langchain_faiss(self.retriever.index, self.retriever.embedder)
        return [
            [_LangChainHit(doc) for doc, _ in self._store.similarity_search_with_score(q, k=k)]
            for q in queries
        ]


class _LangChainHit:
    def __init__(self, doc) -> None:
        self.passage = _DocId(doc.metadata["doc_id"])


class _DocId:
    def __init__(self, doc_id: str) -> None:
        self.doc_id = doc_id


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


def run_speed(inp: Inputs) -> dict:
    questions = inp.questions("speed", inp.ctx.limit or speed.DEFAULT_QUESTIONS)
    start = time.perf_counter()
    section = speed.run(inp.system, questions, inp.index(), inp.ctx)
    inp.timings["speed_s"] = time.perf_counter() - start
    return section


RUNNERS = {"retrieval": run_retrieval, "qa": run_qa, "citations": run_citations,
           "triage": run_triage, "speed": run_speed}


def _jsonable(value: Any) -> Any:
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
    system = System.load(args.config, args.mode, progress=ctx.progress)
    inp = Inputs(args, ctx, system)
    results: dict[str, Any] = {
        "suite": args.suite,
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": {"args": _jsonable(vars(args)), "settings": _jsonable(system.settings)},
        "versions": versions(),
        "models": system.models(),
        "seed": args.seed,
    }
    names = ALL if args.suite == "all" else getattr(args, "smoke_suites", (args.suite,))
    for name in names:
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

"""The `medchat` command: build and update indexes, ask, search, serve, evaluate, triage."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from assistant.settings import Settings, SettingsError, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    settings = load_settings(args.config)
    if getattr(args, "index_name", None):
        settings = replace(settings, index_name=args.index_name)
    if getattr(args, "mode", None):
        settings = replace(settings, retrieval=replace(settings.retrieval, mode=args.mode))
    if settings.threads:
        import torch

        torch.set_num_threads(settings.threads)
    return settings


def _documents(settings: Settings, corpus: list[str] | None):
    """Documents from --corpus, else the settings' corpus, else the built-in corpus."""
    from corpus.builtin import read_builtin
    from corpus.problems import ReadReport
    from corpus.readers import read_corpus

    report = ReadReport()
    paths = corpus or list(settings.corpus)
    docs = read_corpus(paths, report) if paths else read_builtin(report)
    return docs, report, bool(paths)


def _builtin_embeddings() -> list[Path]:
    from corpus.builtin import BUILTIN_DIR

    return sorted(BUILTIN_DIR.glob("embeddings-*.npz"))


def ensure_index(settings: Settings) -> None:
    """Build the default index on first use, so `ask` and `serve` work on a fresh install."""
    if (settings.index_dir / "CURRENT").is_file():
        return
    print(f"No index at {settings.index_dir} yet: building it now (once).", file=sys.stderr)
    build(settings, None)


def build(settings: Settings, corpus: list[str] | None) -> None:
    from retrieval.index import build_index

    docs, report, custom = _documents(settings, corpus)
    started = time.perf_counter()
    manifest = build_index(
        docs,
        settings.index_dir,
        settings.retrieval,
        settings.chunking,
        embedding_files=[] if custom else _builtin_embeddings(),
    )
    took = time.perf_counter() - started
    print(report.summary(), file=sys.stderr)
    print(
        f"Index ready at {settings.index_dir}: {manifest.documents} documents, "
        f"{manifest.passages} passages, {manifest.index_factory} + BM25, in {took:.1f}s"
    )


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.action == "build":
        build(settings, args.corpus)
    elif args.action == "update":
        from corpus.problems import ReadReport
        from corpus.readers import read_corpus
        from retrieval.index import update_index

        report = ReadReport()
        docs = list(read_corpus(args.corpus, report))
        manifest = update_index(
            settings.index_dir, docs, settings.retrieval, settings.chunking,
            deleted=report.deleted,
        )
        print(report.summary(), file=sys.stderr)
        print(f"Index updated: {manifest.documents} documents, {manifest.passages} passages")
    else:
        from retrieval.index import current_version
        from retrieval.manifest import Manifest

        folder = current_version(settings.index_dir)
        print(json.dumps(vars(Manifest.read(folder / "manifest.json")), indent=2))
    return 0


def _filters(args: argparse.Namespace):
    from retrieval.retriever import Filters

    return Filters(args.year_min, args.year_max, args.publication_type, args.mesh)


def cmd_search(args: argparse.Namespace) -> int:
    from retrieval.retriever import Retriever

    settings = _settings(args)
    ensure_index(settings)
    retriever = Retriever.load(
        settings.index_dir, settings.retrieval, settings.chunking, model_cache=settings.model_cache
    )
    for hit in retriever.search(args.query, k=args.k, filters=_filters(args)):
        p = hit.passage
        print(f"{hit.rank:2d}. {hit.score:.4f}  {p.citation_id}  {p.title} ({p.year or 'n.d.'})")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.assistant import Assistant

    settings = _settings(args)
    ensure_index(settings)
    assistant = Assistant.from_settings(settings)
    answer = assistant.answer(args.question, k=args.k, filters=_filters(args))
    if args.json:
        print(json.dumps({
            "question": answer.question,
            "answer": answer.text,
            "abstained": answer.abstained,
            "cited": answer.cited_ids,
            "sources": [
                {"number": i, "id": p.citation_id, "title": p.title, "year": p.year,
                 "link": p.link}
                for i, p in enumerate(answer.passages, 1)
            ],
            "disclaimer": answer.disclaimer,
        }, indent=2))
    else:
        print(answer.render())
        if not answer.citations and answer.passages:
            print("\nRetrieved (not cited):")
            for i, p in enumerate(answer.passages, 1):
                print(f"[{i}] {p.title} ({p.year or 'n.d.'}). {p.citation_id} {p.link}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from dataclasses import replace

    import app

    settings = _settings(args)
    if args.host or args.port:
        settings = replace(settings, app=replace(
            settings.app, host=args.host or settings.app.host, port=args.port or settings.app.port
        ))
    ensure_index(settings)
    app.main(settings)
    return 0


def cmd_triage(args: argparse.Namespace) -> int:
    from assistant.triage import assess

    result = assess(args.text)
    print(json.dumps({"level": result.level, "reasons": result.reasons,
                      "red_flags": result.red_flags}, indent=2))
    return 0


def cmd_reranker(args: argparse.Namespace) -> int:
    """Mine hard negatives from the index, train, and write the held-out questions beside the
    model, so `medchat eval retrieval --reranker OUT --questions OUT/held_out-N-NAME.jsonl`
    benchmarks it on topics it never saw."""
    from dataclasses import replace

    from evals.formats import read_questions
    from retrieval import rerank_training as rt
    from retrieval.retriever import Retriever

    if not 0 <= args.holdout < 1:
        raise ValueError(f"--holdout is a fraction of topics in [0, 1), got {args.holdout}")
    settings = _settings(args)
    ensure_index(settings)
    retriever = Retriever.load(
        settings.index_dir, replace(settings.retrieval, reranker=""), settings.chunking,
        model_cache=settings.model_cache,
    )
    train_settings = rt.RerankTrainingSettings(
        kind=args.kind, base=args.base or settings.retrieval.embedder, epochs=args.epochs,
        lora_rank=args.lora_rank if args.kind == "bi-encoder" else 0, seed=args.seed,
    )
    groups, files = [], {}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    titles = retriever.index.store.titles()
    for number, path in enumerate(args.questions, 1):
        questions = [rt.TrainingQuestion(q.id, q.question, q.gold_ids)
                     for q in read_questions(path, args.limit) if q.gold_ids]
        train_side, held_out = rt.split(questions, titles, args.holdout)
        mined, unusable = rt.mine(retriever, train_side, train_settings)
        take = mined[: args.max_groups] if args.max_groups else mined
        groups += take
        held_path = out / f"held_out-{number}-{Path(path).name.split('.')[0]}.jsonl"
        with open(held_path, "w") as fh:
            for q in held_out:
                record = {"id": q.id, "question": q.question, "gold_ids": list(q.gold_ids)}
                fh.write(json.dumps(record) + "\n")
        files[str(path)] = {"questions": len(questions), "trained_on": len(take),
                            "held_out": len(held_out), "held_out_file": held_path.name,
                            "answer_not_retrieved": unusable}
        print(f"{path}: {files[str(path)]}", file=sys.stderr)
    card = {"questions": files, "holdout_fraction": args.holdout, "index": str(settings.index_dir)}
    rt.train(groups, out, train_settings, settings.model_cache, card=card)
    print(f"Reranker saved to {out} ({len(groups)} training groups); held-out questions for "
          f"benchmarking in {out}/held_out-*.jsonl")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="medchat", description=__doc__)
    p.add_argument("--config", help="settings TOML file (default: $MEDCHAT_CONFIG, ./medchat.toml)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    idx = sub.add_parser("index", help="build, update or describe the search index")
    idx.add_argument("action", choices=["build", "update", "info"])
    idx.add_argument("--corpus", nargs="+", help="JSONL / PubMed XML files or folders")
    idx.add_argument("--index-name", help="index to use under <home>/indexes (default: default)")
    idx.set_defaults(func=cmd_index)

    def query_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("-k", type=int, help="passages to retrieve")
        q.add_argument("--mode", choices=["hybrid", "dense", "bm25"])
        q.add_argument("--year-min", type=int)
        q.add_argument("--year-max", type=int)
        q.add_argument("--publication-type")
        q.add_argument("--mesh", help="MeSH descriptor, e.g. 'Diabetes Mellitus, Type 2'")
        q.add_argument("--index-name")

    ask = sub.add_parser("ask", help="answer a question with cited sources")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="machine-readable output")
    query_options(ask)
    ask.set_defaults(func=cmd_ask)

    search = sub.add_parser("search", help="retrieve passages only (no generation)")
    search.add_argument("query")
    query_options(search)
    search.set_defaults(func=cmd_search)

    serve = sub.add_parser("serve", help="start the chat UI (same as python app.py)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--index-name")
    serve.set_defaults(func=cmd_serve)

    triage = sub.add_parser("triage", help="triage a free-text case description")
    triage.add_argument("text")
    triage.set_defaults(func=cmd_triage)

    rr = sub.add_parser("reranker", help="train a reranker on question files with known answers")
    rr.add_argument("action", choices=["train"])
    rr.add_argument("--questions", nargs="+", required=True,
                    help="question files (JSONL with question + gold_ids / gold_pmids)")
    rr.add_argument("--out", required=True, help="folder for the trained model")
    rr.add_argument("--kind", choices=["bi-encoder", "cross-encoder"], default="bi-encoder",
                    help="bi-encoder re-scorer (default; trains well on a CPU) or cross-encoder")
    rr.add_argument("--base", help="transformer to start from (default: the embedder)")
    rr.add_argument("--holdout", type=float, default=0.2,
                    help="fraction of topics kept out of training for benchmarking (default 0.2)")
    rr.add_argument("--limit", type=int, help="read only the first N questions of each file")
    rr.add_argument("--max-groups", type=int, help="train on at most N questions per file")
    rr.add_argument("--lora-rank", type=int, default=16,
                    help="bi-encoder only: train a LoRA adapter of this rank (~1 MB); "
                         "0 = all weights")
    rr.add_argument("--epochs", type=int, default=1)
    rr.add_argument("--seed", type=int, default=0)
    rr.add_argument("--index-name")
    rr.set_defaults(func=cmd_reranker)

    ev = sub.add_parser("eval", help="run evaluations (see `medchat eval --help`)", add_help=False)
    ev.add_argument("rest", nargs=argparse.REMAINDER)
    ev.set_defaults(func=None)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:
        from evals.cli import main as eval_main

        return eval_main(argv[1:])
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs its own debug lines
    try:
        return args.func(args)
    except (SettingsError, FileNotFoundError, ValueError, RuntimeError, OSError) as exc:
        print(f"medchat: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

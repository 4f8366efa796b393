"""The `medchat` command: build and update indexes, ask, search, serve, evaluate, triage.

Errors a user can fix (`corpus.errors.MedchatError`: input, corpus, index, settings, models) and
the machine's own (`OSError`: a missing file, no permission, a full disk) are printed as one line
that says what to do, with exit status 2; anything else is a bug and shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from assistant.settings import MODES, Settings, command_line, load_settings, resolve_settings
from corpus.errors import InputError, MedchatError


def _overrides(args: argparse.Namespace) -> dict:
    """What this command line sets: `--set` and options such as --mode (see COMMAND_LINE)."""
    return command_line(vars(args), args.set or ())


def _settings(args: argparse.Namespace) -> Settings:
    """Defaults < file < environment < this command line."""
    settings = load_settings(args.config, overrides=_overrides(args))
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
    limits = settings.reading
    docs = read_corpus(paths, report, limits=limits) if paths else read_builtin(report)
    return docs, report, bool(paths)


def _builtin_embeddings() -> list[Path]:
    from corpus.builtin import BUILTIN_DIR

    return sorted(BUILTIN_DIR.glob("embeddings-*.npz"))


def ensure_index(settings: Settings, embedder=None) -> None:
    """Build the default index on first use, so `ask`, `serve` and `eval` work on a fresh
    install. `embedder`: an already loaded retrieval Embedder to reuse."""
    if (settings.index_dir / "CURRENT").is_file():
        return
    print(f"No index at {settings.index_dir} yet: building it now (once).", file=sys.stderr)
    build(settings, None, embedder)


def build(settings: Settings, corpus: list[str] | None, embedder=None) -> None:
    """Build the index the settings name; what was skipped is summarised at the end, also when
    nothing could be read."""
    from retrieval.index import build_index

    docs, report, custom = _documents(settings, corpus)
    started = time.perf_counter()
    try:
        manifest = build_index(
            docs,
            settings.index_dir,
            settings.retrieval,
            settings.chunking,
            embedder=embedder,
            embedding_files=[] if custom else _builtin_embeddings(),
        )
    finally:
        print(report.summary(), file=sys.stderr)
    took = time.perf_counter() - started
    print(
        f"Index ready at {settings.index_dir}: {manifest.documents} documents, "
        f"{manifest.passages} passages, {manifest.index_factory} + BM25, in {took:.1f}s"
    )


def build_ray(settings: Settings, corpus: list[str] | None, address: str | None) -> None:
    """`index build --engine ray`: read, chunk and embed on Ray, resumable per file."""
    from retrieval.ray_build import build_index_ray, ray_inputs

    paths = corpus or list(settings.corpus)
    started = time.perf_counter()
    result = build_index_ray(
        ray_inputs(paths), settings.index_dir, settings.retrieval, settings.chunking,
        embedding_files=[] if paths else _builtin_embeddings(), address=address,
        model_cache=settings.model_cache, limits=settings.reading,
    )
    print(result.report.summary(), file=sys.stderr)
    m = result.manifest
    print(
        f"Index ready at {settings.index_dir}: {m.documents} documents, {m.passages} passages, "
        f"{m.index_factory} + BM25, in {time.perf_counter() - started:.1f}s (Ray: "
        f"{len(result.shards.embedded)} files embedded, {len(result.shards.reused)} reused)"
    )


def cmd_index(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.action == "build" and args.engine == "ray":
        build_ray(settings, args.corpus, args.address)
    elif args.action == "build":
        build(settings, args.corpus)
    elif args.action == "update":
        from corpus.problems import ReadReport
        from corpus.readers import read_corpus
        from retrieval.index import update_index

        if not args.corpus:
            raise InputError("index update needs --corpus FILE... (the new or revised records)")
        report = ReadReport()
        try:
            docs = list(read_corpus(args.corpus, report, limits=settings.reading))
            manifest = update_index(
                settings.index_dir, docs, settings.retrieval, settings.chunking,
                deleted=report.deleted,
            )
        finally:
            print(report.summary(), file=sys.stderr)
        print(f"Index updated: {manifest.documents} documents, {manifest.passages} passages")
    else:
        from retrieval.index import current_version
        from retrieval.manifest import Manifest

        folder = current_version(settings.index_dir)
        print(json.dumps(vars(Manifest.read(folder / "manifest.json")), indent=2))
    return 0


def _filters(args: argparse.Namespace):
    from retrieval.query import check_text
    from retrieval.retriever import Filters

    def term(value: str | None, what: str) -> str | None:
        return check_text(value, 200, what) if value is not None else None

    return Filters(args.year_min, args.year_max, term(args.publication_type, "publication type"),
                   term(args.mesh, "MeSH term"))


def _hit_line(hit) -> str:
    """Rank, score, id, title (or the passage's opening words when the record has no title)."""
    p = hit.passage
    label = p.title or " ".join(p.text.split()[:12]) + " ..."
    return f"{hit.rank:2d}. {hit.score:.4f}  {p.citation_id}  {label} ({p.year or 'n.d.'})"


def cmd_search(args: argparse.Namespace) -> int:
    from retrieval.query import check_query
    from retrieval.retriever import Retriever
    from retrieval.why_empty import why_empty

    query, filters = check_query(args.query), _filters(args)
    settings = _settings(args)
    ensure_index(settings)
    retriever = Retriever.load(
        settings.index_dir, settings.retrieval, settings.chunking, model_cache=settings.model_cache
    )
    reason = why_empty(retriever.index.store, filters)
    hits = [] if reason else retriever.search(query, k=args.k, filters=filters)
    if not hits:
        reason = reason or "no indexed passage matched the question's words or meaning"
        print(f"0 results: {reason}.", file=sys.stderr)
        return 1
    for hit in hits:
        print(_hit_line(hit))
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.assistant import Assistant
    from retrieval.query import check_query
    from retrieval.why_empty import why_empty

    question, filters = check_query(args.question), _filters(args)
    settings = _settings(args)
    ensure_index(settings)
    assistant = Assistant.from_settings(settings)
    reason = why_empty(assistant.retriever.index.store, filters)
    if reason:
        raise InputError(f"no sources to answer from: {reason}; widen or remove the filters")
    answer = assistant.answer(question, k=args.k, filters=filters)
    if args.json:
        from assistant.records import as_json

        print(json.dumps(as_json(answer), indent=2))
    else:
        print(answer.render())  # an abstention lists the closest sources, marked as not cited
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import app

    settings = _settings(args)  # --host and --port included
    ensure_index(settings)
    app.main(settings)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Print the effective settings and where each came from, or the settings reference."""
    from assistant import settings_view

    if args.markdown:
        print(settings_view.reference_markdown(), end="")
        return 0
    resolved = resolve_settings(args.config, overrides=_overrides(args))
    view = settings_view.as_json if args.json else settings_view.as_toml
    print(view(resolved).rstrip("\n"))
    return 0


def cmd_triage(args: argparse.Namespace) -> int:
    from assistant.triage import assess
    from assistant.triage.layers import load_layers
    from retrieval.query import check_text

    settings = _settings(args)
    if not args.text.strip():
        print("error: describe the problem in a few words, e.g. medchat triage \"sore throat "
              "for 3 days\"", file=sys.stderr)
        return 2
    text = check_text(args.text, what="description")
    layers = load_layers(settings.triage.signs, settings.triage.urgency, settings.model_cache)
    result = assess(text, signs=layers.signs, urgency=layers.urgency)
    print(json.dumps(result.to_dict(), indent=2))
    return 0


def cmd_triage_urgency(args: argparse.Namespace) -> int:
    """Train the whole-story urgency model from labelled stories (see its model card)."""
    from assistant.triage import urgency_training
    from assistant.triage.urgency import SHIPPED

    out = Path(args.out) if args.out else urgency_training.BANK_DIR.parent / "models" / SHIPPED
    stories = [Path(p) for p in args.stories] if args.stories else None
    settings = urgency_training.UrgencyTrainingSettings(
        **({"embedder": args.embedder} if args.embedder else {}))
    info = urgency_training.train(out, stories, settings, cache_dir=_settings(args).model_cache)
    cv = info["cross_validated"]
    print(f"Urgency model saved to {out}: {info['stories']} stories, cross-validated emergency "
          f"recall {cv['cv_emergency_recall']:.3f}, false emergencies "
          f"{cv['cv_false_emergency_rate']:.3f}")
    return 0


def cmd_triage_signs(args: argparse.Namespace) -> int:
    """Train the triage meaning layer's sign detector from the sign bank (see its model card)."""
    from dataclasses import replace

    from assistant.triage import sign_training
    from assistant.triage.meaning import MODEL_NAME, MODELS_DIR

    out = Path(args.out) if args.out else MODELS_DIR / MODEL_NAME
    defaults = sign_training.SignTrainingSettings()
    settings = replace(defaults, epochs=args.epochs or defaults.epochs, seed=args.seed,
                       threads=defaults.threads if args.threads is None else args.threads)
    sign_training.train(out, settings=settings, cache_dir=_settings(args).model_cache)
    print(f"Sign detector saved to {out} (figures in {out}/training.json)")
    return 0


READER_YES_NO = (str(Path(__file__).resolve().parent / "evals" / "data" / "pubmedqa"
                     / "questions_trainval.jsonl"),)
READER_EFFECT = (str(Path(__file__).resolve().parent / "evals" / "data" / "evidence_inference"
                     / "questions_dev.jsonl"),)


def cmd_reader(args: argparse.Namespace) -> int:
    """Fit the verdict reader on yes/no and effect question files whose documents are in the
    corpus (default: the built-in PubMedQA and Evidence Inference abstracts)."""
    from assistant import reader_training as rt
    from assistant.reader import READERS_DIR, SHIPPED
    from corpus.builtin import read_builtin
    from retrieval.embedder import Embedder

    if not 0 <= args.holdout < 1:
        raise InputError(f"--holdout is a fraction of topics in [0, 1), got {args.holdout}")
    settings = _settings(args)
    docs = _documents(settings, args.corpus)[0] if args.corpus else \
        read_builtin(sources=("pubmedqa", "evidence_inference"))
    by_id = rt.documents_by_id(docs)
    limit = args.limit or None
    yes_no = [r for path in args.yes_no or READER_YES_NO for r in rt.read_jsonl(path)[:limit]]
    effect = [r for path in args.effect or READER_EFFECT for r in rt.read_jsonl(path)[:limit]]
    embedder = Embedder(settings.retrieval.embedder, "cpu", settings.model_cache)
    out = Path(args.out) if args.out else READERS_DIR / SHIPPED
    card = {"embedder": settings.retrieval.embedder,
            "data": {"yes_no": [Path(p).name for p in args.yes_no or READER_YES_NO],
                     "effect": [Path(p).name for p in args.effect or READER_EFFECT]}}
    info = rt.train(yes_no, effect, by_id, embedder.encode, out,
                    rt.ReaderTrainingSettings(holdout=args.holdout), card=card)
    print(json.dumps(info["held_out"], indent=2))
    print(f"Reader saved to {out}", file=sys.stderr)
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
        raise InputError(f"--holdout is a fraction of topics in [0, 1), got {args.holdout}")
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
    rt.train(groups, out, train_settings, settings.model_cache, card=card, resume=args.resume)
    print(f"Reranker saved to {out} ({len(groups)} training groups); held-out questions for "
          f"benchmarking in {out}/held_out-*.jsonl")
    return 0


# --- medchat generator train / eval ---------------------------------------------------------

GENERATOR_QUESTIONS = tuple(  # repository copies of the development sets in ../shared/data
    str(Path(__file__).resolve().parent / "evals" / "data" / name) for name in (
        "pubmedqa/questions_trainval.jsonl", "evidence_inference/questions_dev.jsonl",
        "medquad/questions_dev_sample2000.jsonl",
    )
)


def cmd_generator(args: argparse.Namespace) -> int:
    """train: build examples from development questions with the real retriever, hold out
    topics, fine-tune a LoRA adapter. eval: score a generator on a held-out example file."""
    return _generator_train(args) if args.action == "train" else _generator_eval(args)


def _generator_train(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from assistant import generator_training as gt
    from retrieval.retriever import Retriever

    if not args.out:
        raise ValueError("generator train needs --out DIR")
    settings = _settings(args)
    train_settings = gt.GeneratorTrainingSettings(
        base=args.base or gt.GeneratorTrainingSettings.base, holdout=args.holdout,
        max_steps=args.max_steps or 0, stop_at=args.stop_at or 0, epochs=args.epochs,
        threads=args.threads,
        save_steps=args.save_steps,
    )
    ensure_index(settings)
    retriever = Retriever.load(
        settings.index_dir, replace(settings.retrieval, reranker=""), settings.chunking,
        model_cache=settings.model_cache,
    )
    out = Path(args.out)
    paths = args.questions or list(GENERATOR_QUESTIONS)
    train_side, held_out, files = gt.prepare(retriever, paths, train_settings, args.limit)
    gt.write_examples(out / gt.HELD_OUT_FILE, held_out)
    for name, counts in files.items():
        print(f"{name}: {counts}", file=sys.stderr)
    arguments = {k: v for k, v in vars(args).items() if k != "func" and v not in (None, False)}
    card = {"data": files, "held_out_file": gt.HELD_OUT_FILE, "index": str(settings.index_dir),
            "arguments": arguments}
    gt.train(train_side, out, train_settings, settings.model_cache, resume=args.resume,
             card=card)
    print(f"Adapter saved to {out} ({len(train_side)} examples); held-out examples in "
          f"{out / gt.HELD_OUT_FILE}: medchat generator eval --held-out {out / gt.HELD_OUT_FILE} "
          f"--adapter {out}")
    return 0


def _generator_eval(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from assistant.generator import Generator, adapter_base, adapter_folder
    from assistant.sft_data import from_json
    from assistant.sft_eval import answer_losses, balanced, evaluate

    if not args.held_out:
        raise ValueError("generator eval needs --held-out FILE (written by generator train)")
    settings = _settings(args)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    base = args.base or (adapter_base(adapter_folder(args.adapter)) if args.adapter else "")
    gen_settings = replace(settings.generator, model=base or settings.generator.model,
                           adapter=args.adapter or "", device="cpu")
    with open(args.held_out, encoding="utf-8") as fh:
        examples = [from_json(json.loads(line)) for line in fh if line.strip()]
    chosen = balanced(examples, args.limit) if args.limit else examples
    generator = Generator(gen_settings, settings.model_cache)
    if args.max_new_tokens:
        log = Path(args.out).with_suffix(".partial.jsonl") if args.out else None
        summary, rows = evaluate(generator, chosen, args.max_new_tokens, log=log)
    else:  # no drafts: the held-out answers' loss only (fast)
        summary, rows = answer_losses(generator, chosen)
    used = generator.settings  # "auto" decided
    summary = {"model": used.model, "adapter": used.adapter,
               "repetition_penalty": used.repetition_penalty,
               "no_repeat_ngram_size": used.no_repeat_ngram_size, **summary}
    print(json.dumps(summary, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "examples": rows}, indent=2))
    return 0


def _add_generator_parser(sub) -> None:
    gen = sub.add_parser("generator", help="fine-tune the answer generator, or score one")
    gen.add_argument("action", choices=["train", "eval"])
    gen.add_argument("--base", help="model to start from / to score (default "
                                    "SmolLM2-135M-Instruct for train, the adapter's base for eval)")
    gen.add_argument("--out", help="train: folder for the adapter; eval: a JSON file of results "
                                   "(answers kept in OUT.partial.jsonl: a rerun continues)")
    gen.add_argument("--questions", nargs="+",
                     help="train: development question files (default: PubMedQA, Evidence "
                          "Inference and MedQuAD copies in evals/data)")
    gen.add_argument("--limit", type=int,
                     help="train: first N questions of each file; eval: N examples, balanced")
    gen.add_argument("--max-steps", type=int, help="train: stop after N optimiser steps")
    gen.add_argument("--stop-at", type=int,
                     help="train: stop after N steps, the learning-rate schedule still planned "
                          "for --max-steps (stop early for time, resume later)")
    gen.add_argument("--epochs", type=float, default=1.0)
    gen.add_argument("--resume", action="store_true",
                     help="train: continue from the latest checkpoint in OUT/checkpoints")
    gen.add_argument("--holdout", type=float, default=0.2,
                     help="train: fraction of topics kept out for the report (default 0.2)")
    gen.add_argument("--save-steps", type=int, default=10, help="train: checkpoint every N steps")
    gen.add_argument("--threads", type=int, default=1, help="train: torch CPU threads")
    gen.add_argument("--held-out", help="eval: held-out example file (OUT/held_out.jsonl)")
    gen.add_argument("--adapter", help="eval: LoRA adapter folder (or shipped name, e.g. "
                                       "medchat-answer-smollm2) applied over --base")
    gen.add_argument("--max-new-tokens", type=int, default=128,
                     help="eval: longest draft; 0 scores the held-out answers' loss only")
    gen.add_argument("--index-name")
    gen.set_defaults(func=cmd_generator)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="medchat", description=__doc__)
    p.add_argument("--config", help="settings TOML file (default: $MEDCHAT_CONFIG, ./medchat.toml)")
    p.add_argument("--set", action="append", metavar="SETTING=VALUE",
                   help="override a setting for this command, e.g. --set retrieval.top_k=8 "
                        "(repeatable; wins over the file and the environment)")
    p.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = p.add_subparsers(dest="command", required=True)

    idx = sub.add_parser("index", help="build, update or describe the search index")
    idx.add_argument("action", choices=["build", "update", "info"])
    idx.add_argument("--corpus", nargs="+", help="JSONL / PubMed XML files or folders")
    idx.add_argument("--index-name", help="index to use under <home>/indexes (default: default)")
    idx.add_argument("--engine", choices=["local", "ray"], default="local",
                     help="build: 'ray' reads, chunks and embeds on a Ray cluster, resumable per "
                          "file (pip install 'medchat[ray]'); default: this process")
    idx.add_argument("--address", help="build --engine ray: the cluster to join ('auto', "
                                       "'ray://host:10001'); default: start Ray here")
    idx.set_defaults(func=cmd_index)

    def query_options(q: argparse.ArgumentParser) -> None:
        q.add_argument("-k", type=int, help="passages to retrieve")
        q.add_argument("--mode", choices=MODES)
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

    signs = sub.add_parser("triage-signs", help="train the triage meaning layer's sign detector")
    signs.add_argument("action", choices=["train"])
    signs.add_argument("--out", help="folder for the model (default: the shipped "
                                     "assistant/triage/models/medchat-triage-signs)")
    signs.add_argument("--epochs", type=int, help="passes over the bank (default 4)")
    signs.add_argument("--threads", type=int,
                       help="torch CPU threads while training (default 1; 0 = torch's default)")
    signs.add_argument("--seed", type=int, default=0)
    signs.set_defaults(func=cmd_triage_signs)

    urgency = sub.add_parser("triage-urgency", help="train the whole-story urgency model")
    urgency.add_argument("action", choices=["train"])
    urgency.add_argument("--out", help="folder for the model (default: the shipped "
                                       "assistant/triage/models/medchat-triage-urgency)")
    urgency.add_argument("--stories", nargs="+", metavar="FILE",
                         help="labelled story JSONL files (default: assistant/triage/story_bank)")
    urgency.add_argument("--embedder", help="sentence embedder the stories are read with (a "
                         "packaged name, a Hugging Face id or a folder; default all-mpnet-base-v2)")
    urgency.set_defaults(func=cmd_triage_urgency)

    rd = sub.add_parser("reader", help="train the verdict reader (yes/no and trial effects)")
    rd.add_argument("action", choices=["train"])
    rd.add_argument("--out", help="folder for the reader (default: the shipped "
                                  "assistant/readers/medchat-verdict)")
    rd.add_argument("--yes-no", nargs="+", metavar="FILE", help="PubMedQA-shaped files (question, "
                    "decision, long_answer, pmid); default evals/data/pubmedqa/questions_trainval")
    rd.add_argument("--effect", nargs="+", metavar="FILE", help="Evidence Inference-shaped files "
                    "(question, label, evidence, gold_pmids); default its questions_dev")
    rd.add_argument("--corpus", nargs="+", metavar="PATH", help="where the questions' documents "
                    "are (default: the built-in PubMedQA and Evidence Inference abstracts)")
    rd.add_argument("--holdout", type=float, default=0.2,
                    help="fraction of topics kept out of training for the report (default 0.2)")
    rd.add_argument("--limit", type=int, help="read only the first N questions of each file")
    rd.set_defaults(func=cmd_reader)

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
    rr.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in "
                    "OUT/checkpoints (same questions and options)")
    rr.add_argument("--index-name")
    rr.set_defaults(func=cmd_reranker)

    _add_generator_parser(sub)

    config = sub.add_parser("config", help="print the effective settings and where each came "
                                           "from (default, file, environment, command line)")
    shown = config.add_mutually_exclusive_group()
    shown.add_argument("--json", action="store_true", help="as JSON: settings and sources")
    shown.add_argument("--markdown", action="store_true",
                       help="the settings reference: every setting, its environment variable, "
                            "default and description")
    config.set_defaults(func=cmd_config)

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
    if args.func is None:  # `medchat --config F eval ...`: eval reads its own options
        print("medchat: error: give eval its options after the word eval, e.g. medchat eval "
              "retrieval --config FILE (--set is for the other commands)", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs its own debug lines
    try:
        return args.func(args)
    except (MedchatError, OSError) as exc:  # what the user or the machine can fix; bugs raise
        print(f"medchat: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("medchat: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

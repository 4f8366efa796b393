"""Blended reranking: the reranker's weight chosen on development questions, held-out report.

    python benchmarks/rerank_blend.py [--out runs/rerank-blend] [--resume] [--corpus DOCS]...
        [--dev KIND=FILE]... [--test KIND=FILE]... [--limit N] [--weight W] [--cost-questions N]
        [--reranker MODEL]

For every question the first stage (the configured mode, hybrid by default) is run once and the
reranker (`--reranker`; the shipped one by default) scores its top `rerank_top_n` passages once;
both are kept in `<out>/candidates-<set>.jsonl` (resumable). Every ranking compared is then a
pure function of those candidates (`retrieval.fusion.blend_reranked`, the function the retriever
itself uses), so "first stage", "reranker only" (weight 1) and any blend are scored on identical
inputs.

1. dev: sweep the weight 0, 0.05, ..., 1 and keep the one whose worst per-kind gain in nDCG@10
   over the first stage is largest (ties: the larger mean gain, then the smaller weight);
   `--weight` skips the choice.
2. test: first stage, reranker only and the blend at that weight, per kind: nDCG@10, recall@5,
   MRR@10, each with a 95% bootstrap CI, and the paired difference to the first stage with its CI.
3. cost: the same process times single warm searches without and with the blended reranker.

Writes `<out>/results.json` and `<out>/table.md`. Default index: medchat's own (the built-in
corpus); `--corpus` indexes other documents into the eval cache as `medchat eval` does.
Default sets: see DEV and TEST below (MedQuAD development questions on topics the shipped
reranker never trained on, taken from ../shared/data; the reranker's held-out files; the expert
literature questions).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evals import metrics as m  # noqa: E402
from evals.formats import Question, read_questions  # noqa: E402
from evals.itemlog import ItemLog  # noqa: E402
from evals.suites.retrieval import KS, PASSAGES_PER_QUERY, resolve_gold  # noqa: E402
from retrieval.fusion import blend_reranked  # noqa: E402
from retrieval.settings import RetrievalSettings  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "evals" / "data"
SHARED_MEDQUAD = REPO.parent / "shared" / "data" / "medquad" / "questions_dev.jsonl"
RERANKER = "medchat-rerank-minilm"
MEDQUAD_UNSEEN = "medquad-unseen-topics"  # built from SHARED_MEDQUAD, see unseen_medquad()
DEV = {
    "expert": str(DATA / "literature" / "questions_expert_dev.jsonl"),
    "consumer (MedQuAD)": MEDQUAD_UNSEEN,
    "trial (Evidence Inference)": str(DATA / "evidence_inference" / "questions_dev.jsonl"),
}
TEST = {
    "expert": str(DATA / "literature" / "questions_expert_test.jsonl"),
    "trial (Evidence Inference)": str(DATA / "evidence_inference"
                                      / "questions_rerank_heldout.jsonl"),
    "consumer (MedQuAD)": str(DATA / "medquad" / "questions_rerank_heldout.jsonl"),
}
# Questions per file (the files are shuffled, so the first lines are a fair sample): about 900
# in all, each 3-7 s (first stage + reranker) on 2 busy CPU cores, so 1-2 hours; --resume
# continues an interrupted run.
DEV_LIMIT = 100
TEST_LIMIT = 300
WEIGHTS = tuple(round(i * 0.05, 2) for i in range(21))
METRICS = ("ndcg@10", "recall@5", "mrr@10")
RRF_K = RetrievalSettings().rrf_k  # the blend's fusion constant, as the retriever uses it
TRAINING_LINES = 3000  # the shipped reranker saw (at most) the first 3,000 MedQuAD dev lines
BATCH = 16  # questions searched and reranked together


@dataclass(frozen=True)
class Candidates:
    """One question's first-stage passages (doc ids, best first) and the reranker's scores of
    the first len(rerank) of them."""

    id: str
    docs: tuple[str, ...]
    rerank: tuple[float, ...]


def unseen_medquad(heldout: Path, limit: int) -> list[Question]:
    """MedQuAD development questions the shipped reranker cannot have learnt: past the lines its
    training read, on topics its split held out, and on none of the held-out file's topics (so
    choosing weights here never looks at the questions reported on)."""
    import gzip

    from corpus.builtin import BUILTIN_DIR
    from retrieval.rerank_training import is_held_out

    with gzip.open(BUILTIN_DIR / "medquad.jsonl.gz", "rt", encoding="utf-8") as fh:
        titles = {d["doc_id"]: d["title"].strip().lower() for d in map(json.loads, fh)}
    reported = {titles[q.gold_ids[0]] for q in read_questions(heldout)}
    found = []
    for q in read_questions(SHARED_MEDQUAD)[TRAINING_LINES:]:
        title = titles.get(q.gold_ids[0], q.gold_ids[0])
        if is_held_out(title, 0.2) and title not in reported:
            found.append(q)
    return found[:limit]


def load_set(path: str, limit: int | None, exclude: Path | None = None) -> list[Question]:
    if path == MEDQUAD_UNSEEN:
        return unseen_medquad(DATA / "medquad" / "questions_rerank_heldout.jsonl",
                              limit or DEV_LIMIT)
    questions = read_questions(path)
    if exclude is not None and exclude.is_file():  # development file minus its held-out part
        held = {q.id for q in read_questions(exclude)}
        questions = [q for q in questions if q.id not in held]
    return questions[:limit] if limit else questions


def collect(retriever, questions: list[Question], log: ItemLog, progress: bool) -> None:
    """First stage once, reranker once, per question not yet in `log`.

    A bi-encoder reranker's score is the cosine of two embeddings, so each passage is embedded
    once per run and its vector reused by every question that retrieves it (same-topic questions
    share most candidates); a cross-encoder reads each pair through `Reranker.score`.
    """
    from tqdm import tqdm

    n = retriever.settings.rerank_top_n
    reranker = retriever.reranker
    vectors: dict[int, object] = {}
    todo = [q for q in questions if q.id not in log]
    bar = tqdm(total=len(todo), desc=log.path.stem, disable=not progress)
    for start in range(0, len(todo), BATCH):
        batch = todo[start : start + BATCH]
        results = retriever.search_many([q.question for q in batch], PASSAGES_PER_QUERY,
                                        rerank=False)
        if reranker.kind == "bi-encoder":
            new = {h.passage.row_id: h.passage.text for hits in results for h in hits[:n]
                   if h.passage.row_id not in vectors}
            vectors.update(zip(new, reranker.model.encode(list(new.values())), strict=True))
            queries = reranker.model.encode([q.question for q in batch])
        for i, (q, hits) in enumerate(zip(batch, results, strict=True)):
            if reranker.kind == "bi-encoder":
                scores = [float(vectors[h.passage.row_id] @ queries[i]) for h in hits[:n]]
            else:
                scores = reranker.score(q.question, [h.passage.text for h in hits[:n]])
            log.add(q.id, {"docs": [h.passage.doc_id for h in hits],
                           "fused": [round(h.score, 8) for h in hits[:n]],
                           "rerank": [round(float(s), 6) for s in scores]})
        bar.update(len(batch))
    bar.close()


def ranking(c: Candidates, weight: float | None, k: int = RRF_K) -> list[str]:
    """Document ranking: None = first stage; else the top n blended at `weight` (as
    `Retriever` blends them, fusion constant `k`), the rest below."""
    order = list(range(len(c.docs)))
    if weight is not None:
        n = len(c.rerank)
        order = [i for i, _ in blend_reranked(list(range(n)), list(c.rerank), weight, k)]
        order += list(range(n, len(c.docs)))
    return m.dedupe(c.docs[i] for i in order)[: max(KS)]


def per_question(cands: list[Candidates], gold: dict[str, tuple[str, ...]],
                 weight: float | None) -> dict[str, list[float]]:
    values: dict[str, list[float]] = {name: [] for name in METRICS}
    for c in cands:
        ranked, g = ranking(c, weight), gold[c.id]
        values["ndcg@10"].append(m.ndcg_at_k(ranked, g, 10))
        values["recall@5"].append(m.recall_at_k(ranked, g, 5))
        values["mrr@10"].append(m.reciprocal_rank(ranked, g, 10))
    return values


def summarise(values: dict[str, list[float]], base: dict[str, list[float]] | None,
              seed: int) -> dict:
    out: dict[str, object] = {}
    for name, v in values.items():
        out[name] = m.mean(v)
        out[f"{name}_ci"] = list(m.bootstrap_mean_ci(v, seed))
        if base is not None:
            diff = [a - b for a, b in zip(v, base[name], strict=True)]
            out[f"{name}_diff"] = m.mean(diff)
            out[f"{name}_diff_ci"] = list(m.bootstrap_mean_ci(diff, seed))
    return out


def choose_weight(dev: dict[str, tuple[list[Candidates], dict]]) -> tuple[float, list[dict]]:
    """The weight whose worst per-kind nDCG@10 gain over the first stage is largest."""
    base = {kind: m.mean(per_question(c, g, None)["ndcg@10"]) for kind, (c, g) in dev.items()}
    sweep = []
    for w in WEIGHTS:
        gains = {kind: m.mean(per_question(c, g, w)["ndcg@10"]) - base[kind]
                 for kind, (c, g) in dev.items()}
        sweep.append({"weight": w, "ndcg@10_gain": gains, "worst": min(gains.values()),
                      "mean": statistics.fmean(gains.values())})
    best = max(sweep, key=lambda s: (round(s["worst"], 6), round(s["mean"], 6), -s["weight"]))
    return best["weight"], sweep


def measure_cost(retriever, questions: list[Question], weight: float) -> dict:
    """Warm single-question latency, first stage alone and with the blended reranker."""
    from dataclasses import replace

    blended = type(retriever)(retriever.index, retriever.embedder,
                              replace(retriever.settings, rerank_weight=weight),
                              retriever.reranker)
    texts = [q.question for q in questions]
    for text in texts[:3]:  # warm both paths
        blended.search(text)
        blended.search(text, rerank=False)
    times: dict[str, list[float]] = {"first_stage": [], "blended": []}
    for text in texts:
        for name, rerank in (("first_stage", False), ("blended", True)):
            start = time.perf_counter()
            blended.search(text, rerank=rerank)
            times[name].append(time.perf_counter() - start)
    first, both = statistics.median(times["first_stage"]), statistics.median(times["blended"])
    return {"questions": len(texts), "first_stage_p50_ms": first * 1000,
            "blended_p50_ms": both * 1000, "extra_p50_ms": (both - first) * 1000,
            "ratio": both / first}


def table(results: dict) -> str:
    lines = ["| kind | n | method | " + " | ".join(METRICS) + " |",
             "|---|---|---|" + "---|" * len(METRICS)]
    for kind, section in results["test"].items():
        for method, row in section["methods"].items():
            cells = []
            for name in METRICS:
                lo, hi = row[f"{name}_ci"]
                cell = f"{row[name]:.3f} [{lo:.3f}, {hi:.3f}]"
                if f"{name}_diff" in row:
                    dlo, dhi = row[f"{name}_diff_ci"]
                    cell += f" ({row[f'{name}_diff']:+.3f} [{dlo:+.3f}, {dhi:+.3f}])"
                cells.append(cell)
            lines.append(f"| {kind} | {section['n']} | {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def load_candidates(corpus, retriever, label: str, questions, out: Path, resume: bool,
                    progress: bool) -> tuple[list[Candidates], dict]:
    from evals.corpusdata import aliases_of

    aliases = aliases_of(corpus.documents if corpus else retriever.index.store.iter_passages())
    check = resolve_gold(questions, aliases)
    scorable = [q for q in questions if q.id in check.gold]
    log = ItemLog(out / f"candidates-{label}.jsonl", resume)
    collect(retriever, scorable, log, progress)
    cands = [Candidates(q.id, tuple(log.get(q.id)["docs"]), tuple(log.get(q.id)["rerank"]))
             for q in scorable]
    return cands, check.gold


def slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")


def parse_sets(pairs: list[str] | None, default: dict[str, str]) -> dict[str, str]:
    if not pairs:
        return dict(default)
    return dict(pair.split("=", 1) for pair in pairs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/rerank-blend"))
    parser.add_argument("--resume", action="store_true", help="reuse candidates already in --out")
    parser.add_argument("--config", type=Path, help="medchat settings file")
    parser.add_argument("--corpus", type=Path, action="append",
                        help="documents to index into the eval cache (default: medchat's index)")
    parser.add_argument("--dev", action="append", metavar="KIND=FILE")
    parser.add_argument("--test", action="append", metavar="KIND=FILE")
    parser.add_argument("--limit", type=int, default=TEST_LIMIT,
                        help="first N questions of every test file (0: all)")
    parser.add_argument("--dev-limit", type=int, default=DEV_LIMIT)
    parser.add_argument("--weight", type=float, help="skip the sweep: blend at this weight")
    parser.add_argument("--dev-only", action="store_true", help="stop after choosing the weight")
    parser.add_argument("--cost-questions", type=int, default=20)
    parser.add_argument("--reranker", default=RERANKER,
                        help="reranker to measure (name or folder; default: the shipped one)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)

    from evals.corpusdata import load_corpus
    from evals.system import System, seed_everything

    seed_everything(args.seed)
    progress = not args.no_progress
    system = System.load(args.config, None, progress=progress, reranker=args.reranker)
    corpus = load_corpus(args.corpus) if args.corpus else None
    index_dir, _ = system.index_for(corpus)
    retriever = system.retriever(index_dir)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"reranker": args.reranker, "index": str(index_dir),
                     "rerank_top_n": retriever.settings.rerank_top_n,
                     "first_stage": retriever.settings.mode, "seed": args.seed}

    def sets(spec: dict[str, str], limit: int | None, phase: str) -> dict:
        loaded = {}
        for kind, path in spec.items():
            exclude = Path(path).with_name("questions_rerank_heldout.jsonl") if phase == "dev" \
                else None
            if path != MEDQUAD_UNSEEN and not Path(path).is_file():
                print(f"{phase}: {kind}: {path} not found, left out", flush=True)
                continue
            questions = load_set(path, limit, exclude)
            loaded[kind] = load_candidates(corpus, retriever, f"{phase}-{slug(kind)}",
                                           questions, args.out, args.resume, progress)
            results.setdefault("files", {})[f"{phase}:{kind}"] = path
        return loaded

    if args.weight is None:
        dev = sets(parse_sets(args.dev, DEV), args.dev_limit, "dev")
        weight, sweep = choose_weight(dev)
        results["dev"] = {"n": {k: len(c) for k, (c, _) in dev.items()}, "sweep": sweep}
    else:
        weight = args.weight
    results["weight"] = weight
    print(f"reranker weight: {weight}", flush=True)
    if args.dev_only:
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        return 0

    results["test"] = {}
    test = sets(parse_sets(args.test, TEST), args.limit, "test")
    for kind, (cands, gold) in test.items():
        base = per_question(cands, gold, None)
        results["test"][kind] = {"n": len(cands), "methods": {
            "first stage": summarise(base, None, args.seed),
            "reranker only": summarise(per_question(cands, gold, 1.0), base, args.seed),
            f"blended (w={weight})": summarise(per_question(cands, gold, weight), base,
                                               args.seed),
        }}
    if args.cost_questions:
        first_kind = next(iter(parse_sets(args.test, TEST).values()))
        results["cost"] = measure_cost(retriever, load_set(first_kind, args.cost_questions),
                                       weight)
    import torch

    results["torch_threads"] = torch.get_num_threads()
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "table.md").write_text(table(results))
    print(table(results))
    if "cost" in results:
        print(json.dumps(results["cost"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

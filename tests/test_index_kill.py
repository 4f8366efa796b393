"""Killing `medchat index build` / `index update` at random points (SIGKILL: no cleanup runs)
always leaves the previous index loadable and consistent with its passage store.

The first build runs the real `medchat` command in a fresh interpreter. The killed trials run the
same `medchat_cli.main` in processes forked from a server that has already imported the libraries
(multiprocessing's forkserver), so each trial takes seconds, not the half-minute of importing
torch; each is killed either at a random moment of its whole run or the moment it writes one of
the files of its new version or swaps the CURRENT pointer (where a kill can do damage). After
each kill the index must load, its parts must agree (Index.load checks store, FAISS, BM25 and
manifest counts), the store's fingerprint must be the manifest's, and it must hold either the
documents it held before or those the command was writing, never a mixture.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path

from conftest import MODELS_DIR, REPO

from retrieval.index import Index

TRIALS = 8
SEED = 20


def _write(path: Path, docs) -> Path:
    path.write_text("".join(json.dumps({"pmid": d.pmid, "title": d.title, "abstract": d.text})
                            + "\n" for d in docs))
    return path


def _env(home: Path) -> dict[str, str]:
    return {"MEDCHAT_HOME": str(home), "MEDCHAT_MODELS_DIR": str(MODELS_DIR),
            "OMP_NUM_THREADS": "1", "MEDCHAT_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}


def _cli(args: list[str], env: dict[str, str]) -> None:
    """`medchat index ...` inside a forked process, quietly."""
    os.environ.update(env)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.dup2(quiet, 2)
    import medchat_cli

    sys.exit(medchat_cli.main(["index", *args]))


def _forked(args: list[str] | None, home: Path) -> multiprocessing.Process:
    """A forked `medchat index ARGS...`; None starts the server and returns at once."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["medchat_cli", "retrieval.index", "retrieval.embedder",
                                "sentence_transformers"])
    proc = ctx.Process(target=_cli if args else os.getpid, args=(args, _env(home)) if args else ())
    proc.start()
    return proc


def _state(index_dir: Path, settings) -> frozenset[str]:
    """The live index's documents, after checking that it loads and agrees with its store."""
    index = Index.load(index_dir, settings.retrieval, settings.chunking)
    try:
        assert index.store.fingerprint() == index.manifest.corpus_fingerprint
        docs = frozenset(index.store.doc_ids())
        assert len(docs) == index.manifest.documents
        return docs
    finally:
        index.close()


# Files a build or update writes into its new version, in order, and the pointer swap: a
# "writing" kill lands the moment one of them appears.
MARKERS = ("passages.sqlite", "dense.faiss", "bm25", "manifest.json", "CURRENT")


def _written(index_dir: Path, before: set[str], marker: str, pointer: str) -> bool:
    if marker == "CURRENT":
        current = index_dir / "CURRENT"
        return current.is_file() and current.read_text() != pointer
    return any((index_dir / name / marker).exists()
               for name in {p.name for p in index_dir.glob("v-*")} - before)


def _run(args: list[str], home: Path, rng: random.Random | None,
         spans: dict[str, float]) -> str:
    """Run `medchat index ARGS`; with `rng`, SIGKILL it at a random moment of its whole run
    (drawn from how long the last unkilled run of the action took, `spans`, updated here) or the
    moment it writes one of MARKERS. Says what happened."""
    index_dir = home / "indexes" / "default"
    before = {p.name for p in index_dir.glob("v-*")}
    current = index_dir / "CURRENT"
    pointer = current.read_text() if current.is_file() else ""
    proc = _forked(args, home)
    started = time.monotonic()
    phase, deadline, marker = "unkilled", float("inf"), ""
    if rng is not None and rng.random() < 0.5:
        phase, marker = "writing", rng.choice(MARKERS)
        while proc.is_alive() and not _written(index_dir, before, marker, pointer):
            time.sleep(0.002)
        deadline = 0.0
    elif rng is not None:
        whole = spans.get(args[0]) or spans.get("build", 0.0)
        phase, deadline = "anywhere", started + rng.uniform(0, whole)
    while proc.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    where = f"{phase} {marker}".strip()
    if proc.is_alive():
        proc.kill()  # SIGKILL: no cleanup of any kind runs
        proc.join()
        return f"{where}: killed at {time.monotonic() - started:.1f}s"
    proc.join()
    assert proc.exitcode == 0, f"`medchat index {args[0]}` failed on its own ({proc.exitcode})"
    took = time.monotonic() - started
    spans[args[0]] = took
    return f"{where}: finished by itself in {took:.1f}s"


def test_killed_builds_and_updates_leave_the_previous_index_loadable(
    tmp_path, pubmedqa_docs, settings
):
    home = tmp_path / "home"
    home.mkdir()
    index_dir = home / "indexes" / "default"
    first, second = pubmedqa_docs[:30], pubmedqa_docs[30:60]
    corpora = [_write(tmp_path / "a.jsonl", first), _write(tmp_path / "b.jsonl", second)]
    ids = [frozenset(d.pmid for d in first), frozenset(d.pmid for d in second)]

    real = subprocess.run([sys.executable, str(REPO / "medchat_cli.py"), "index", "build",
                           "--corpus", str(corpora[0])], cwd=tmp_path, capture_output=True,
                          env=dict(os.environ, **_env(home)))
    assert real.returncode == 0, real.stderr.decode(errors="replace")[-2000:]
    assert _state(index_dir, settings) == ids[0]
    _forked(None, home).join()  # the server's imports are not part of any run below
    spans: dict[str, float] = {}
    _run(["build", "--corpus", str(corpora[1])], home, None, spans)  # times an unkilled build
    live = _state(index_dir, settings)
    assert live == ids[1]

    rng = random.Random(SEED)
    outcomes = []
    for trial in range(TRIALS):
        if trial % 2 == 0:
            which = (trial // 2) % 2
            action, target = ["build", "--corpus", str(corpora[which])], ids[which]
        else:
            added = pubmedqa_docs[60 + 3 * trial : 63 + 3 * trial]
            update = _write(tmp_path / f"u{trial}.jsonl", added)
            action, target = ["update", "--corpus", str(update)], live | {d.pmid for d in added}
        how = _run(action, home, rng, spans)
        now = _state(index_dir, settings)
        assert now in (live, target), f"trial {trial} ({action[0]}, {how}): mixed documents"
        outcomes.append(f"{action[0]} {how}: {'new' if now == target else 'previous'} index")
        live = now
    print("\n".join(["kill trials:", *outcomes]))

    # what the kills left behind never stops the next build, which also tidies it away
    _run(["build", "--corpus", str(corpora[0])], home, None, spans)
    assert _state(index_dir, settings) == ids[0]
    assert len(list(index_dir.glob("v-*"))) == 1

"""CPU decoding speed of the packaged generators: transformers against llama.cpp, same weights.

    python benchmarks/decode_speed.py                       # both models, 1 and 2 threads
    python benchmarks/decode_speed.py --models gemma-3-270m --threads 1 --tokens 48

Both backends read the same sha256-verified GGUF (transformers de-quantises it to fp32 once;
llama.cpp runs the quantised file). Runs are warm (one generation first), greedy, with no
repetition penalty (the two libraries apply it differently) and plain prompts, so both decode
the same way and their greedy texts can be compared. Time to first token includes reading the
prompt; tokens/s is measured after the first token. Ratios are against transformers in the same
process at the same thread count. The llama.cpp rows need `pip install llama-cpp-python` (no CPU
wheel on PyPI: it compiles from source); without it only transformers is measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROMPTS = (
    "The most common symptoms of iron deficiency anaemia are",
    "Metformin is the first-line treatment for type 2 diabetes because",
    "Summary of the trial: In adults with community-acquired pneumonia, a five-day course",
)
MODELS = ("SmolLM2-135M-Instruct", "gemma-3-270m")


@dataclass(frozen=True)
class Run:
    model: str
    backend: str
    threads: int
    ttft_s: float  # mean over prompts: prompt read + first token
    tokens_per_s: float  # decoding after the first token, all prompts pooled
    tokens: int
    texts: tuple[str, ...]


def timed(tokens: Iterable[str]) -> tuple[float, float, int, str]:
    """(time to first token, seconds after it, tokens, text) of a stream of token texts."""
    start = time.perf_counter()
    first = last = None
    pieces = []
    for piece in tokens:
        last = time.perf_counter()
        first = first or last
        pieces.append(piece)
    if first is None:
        return float("nan"), 0.0, 0, ""
    return first - start, last - first, len(pieces), "".join(pieces)


def measure(model: str, backend: str, threads: int, stream: Callable[[str], Iterable[str]],
            prompts: Sequence[str]) -> Run:
    "".join(stream(prompts[0]))  # warm: allocations, caches, lazy initialisation
    results = [timed(stream(p)) for p in prompts]
    decode_s = sum(r[1] for r in results)
    decoded = sum(max(r[2] - 1, 0) for r in results)
    return Run(model, backend, threads,
               ttft_s=sum(r[0] for r in results) / len(results),
               tokens_per_s=decoded / decode_s if decode_s else float("nan"),
               tokens=sum(r[2] for r in results), texts=tuple(r[3] for r in results))


def transformers_stream(generator, max_tokens: int) -> Callable[[str], Iterable[str]]:
    """Token texts as transformers generates them (greedy, no penalty), one per step."""
    import threading

    import torch
    from transformers.generation.streamers import BaseStreamer

    tokenizer, model = generator.tokenizer, generator.model

    class Tokens(BaseStreamer):
        def __init__(self) -> None:
            import queue

            self.queue, self.prompt_seen = queue.Queue(), False

        def put(self, value) -> None:
            if not self.prompt_seen:  # the first call carries the prompt
                self.prompt_seen = True
                return
            for token in value.reshape(-1).tolist():
                self.queue.put(tokenizer.decode([token], skip_special_tokens=True))

        def end(self) -> None:
            self.queue.put(None)

    def stream(prompt: str) -> Iterable[str]:
        inputs = tokenizer(prompt, return_tensors="pt")
        streamer = Tokens()

        def run() -> None:
            with torch.no_grad():
                model.generate(**inputs, streamer=streamer, max_new_tokens=max_tokens,
                               do_sample=False, top_p=None, top_k=None,
                               pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id)

        worker = threading.Thread(target=run)
        worker.start()
        while (piece := streamer.queue.get()) is not None:
            yield piece
        worker.join()

    return stream


def llamacpp_stream(llm, max_tokens: int) -> Callable[[str], Iterable[str]]:
    def stream(prompt: str) -> Iterable[str]:
        for chunk in llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                           top_k=1, repeat_penalty=1.0, stream=True):
            yield chunk["choices"][0]["text"]

    return stream


def runs_for(name: str, threads: Sequence[int], max_tokens: int, cache: Path,
             prompts: Sequence[str]) -> list[Run]:
    import torch

    from assistant.generator import Generator, GeneratorSettings
    from retrieval.weights import resolve

    gguf = resolve(name, cache)  # sha256-checked
    generator = Generator(GeneratorSettings(model=name, device="cpu", prompt_style="plain",
                                            adapter="", repetition_penalty=1.0,
                                            no_repeat_ngram_size=0),
                          cache)
    try:
        from llama_cpp import Llama
    except ImportError:
        Llama = None  # noqa: N806
        print("llama.cpp: llama_cpp is not installed; measuring transformers only",
              file=sys.stderr)
    runs = []
    for n in threads:
        torch.set_num_threads(n)
        runs.append(measure(name, "transformers", n, transformers_stream(generator, max_tokens),
                            prompts))
        if Llama is not None:
            llm = Llama(model_path=gguf, n_threads=n, n_threads_batch=n, n_ctx=1024,
                        verbose=False)
            runs.append(measure(name, "llama.cpp", n, llamacpp_stream(llm, max_tokens), prompts))
            del llm
    return runs


def agreement(run: Run, reference: Run) -> str:
    """How the greedy texts compare with transformers': identical, else shared leading words."""
    same = sum(a == b for a, b in zip(run.texts, reference.texts, strict=True))
    if same == len(run.texts):
        return f"same text {same}/{len(run.texts)}"
    shared = []
    for a, b in zip(run.texts, reference.texts, strict=True):
        wa, wb = a.split(), b.split()
        pairs = enumerate(zip(wa, wb, strict=False))
        k = next((i for i, (x, y) in pairs if x != y), min(len(wa), len(wb)))
        shared.append(str(k))
    return f"same text {same}/{len(run.texts)}; first {'/'.join(shared)} words shared"


def table(runs: Sequence[Run]) -> str:
    lines = ["| model | backend | threads | time to first token (s) | tokens/s | "
             "tokens/s vs transformers | greedy output vs transformers |",
             "|---|---|---|---|---|---|---|"]
    for run in runs:
        base = next(r for r in runs if r.model == run.model and r.threads == run.threads
                    and r.backend == "transformers")
        lines.append(
            f"| {run.model} | {run.backend} | {run.threads} | {run.ttft_s:.3f} | "
            f"{run.tokens_per_s:.1f} | {run.tokens_per_s / base.tokens_per_s:.2f}x | "
            f"{'-' if run is base else agreement(run, base)} |")
    return "\n".join(lines)


def provenance(names: Sequence[str], cache: Path) -> str:
    """Library versions and the GGUF each model is read from, so a table names what it ran."""
    from importlib.metadata import PackageNotFoundError, version

    from retrieval.weights import find_packaged, resolve

    def installed(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    lines = [f"torch {installed('torch')}, transformers {installed('transformers')}, "
             f"llama-cpp-python {installed('llama-cpp-python')}, {os.cpu_count()} CPUs"]
    for name in names:
        path = Path(resolve(name, cache))
        model = find_packaged(name)
        sha = model.sha256[:16] if model is not None else "?"
        lines.append(f"{name}: {path.name} ({path.stat().st_size / 2**20:.0f} MiB, "
                     f"sha256 {sha}...)")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--threads", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--tokens", type=int, default=64, help="new tokens per prompt (most)")
    parser.add_argument("--model-cache", type=Path, default=None,
                        help="verified / converted weights (default: the settings' model cache)")
    parser.add_argument("--show-text", action="store_true", help="print each greedy text")
    args = parser.parse_args(argv)
    if args.model_cache is None:
        from assistant.settings import load_settings

        args.model_cache = load_settings().model_cache
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    runs = [run for name in args.models
            for run in runs_for(name, args.threads, args.tokens, args.model_cache, PROMPTS)]
    print(provenance(args.models, args.model_cache))
    print(table(runs))
    if args.show_text:
        for run in runs:
            for text in run.texts:
                print(f"\n[{run.model} / {run.backend} / {run.threads}] {text!r}")


if __name__ == "__main__":
    main()

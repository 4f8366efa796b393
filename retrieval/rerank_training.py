"""Train a reranker from the embedder's weights on questions with known answers.

No trained (biomedical) reranker installs offline, so medchat grows its own, teaching it to put
each question's answer passage above the passages hybrid search confuses it with (hard
negatives), with a softmax loss over one positive and `group_size - 1` negatives. Two kinds:

- "bi-encoder" (default): fine-tune a copy of the embedder; at search time it re-embeds the
  question and the fused top n and rescores by cosine. It starts from a model that already
  retrieves, so a CPU-sized run improves it; the index's vectors are not changed.
- "cross-encoder": the embedder's transformer plus a new one-logit head reading question and
  passage together. Stronger in principle, but it starts from an untrained head: on two CPU cores
  its loss barely left chance level in 217 steps (see README), so it is for bigger machines.

Evaluation must not see training topics: `split` holds out whole groups of questions, grouped by
the title of their answer document (a MedQuAD topic; one article for PubMed), so a benchmark on
the held-out part measures questions about subjects the model never trained on.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from retrieval.hits import Hit
from retrieval.rerank import ADAPTER_CONFIG, KINDS, add_lora, lora_config
from retrieval.weights import DEFAULT_CACHE, resolve


@dataclass(frozen=True)
class TrainingQuestion:
    """A question and the ids (doc ids or PMIDs) of the documents that answer it."""

    id: str
    question: str
    gold_ids: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """One training example: the question, its answer passage, then the passages to rank below."""

    question: str
    positive: str
    negatives: tuple[str, ...]


@dataclass(frozen=True)
class RerankTrainingSettings:
    """Defaults are the recipe of the shipped `medchat-rerank-minilm` (see its training.json)."""

    kind: str = "bi-encoder"  # or "cross-encoder"
    base: str = "all-MiniLM-L6-v2"  # any transformer folder / id; the packaged MiniLM by default
    group_size: int = 6  # 1 positive + 5 hard negatives per question
    groups_per_step: int = 4
    epochs: int = 1
    learning_rate: float = 0.0  # 0: 3e-4 for a LoRA adapter, 2e-5 when training all weights
    warmup: float = 0.05  # fraction of steps with a linearly rising learning rate
    max_length: int = 160  # tokens of question + passage the model reads (MiniLM: 256 max)
    candidates: int = 40  # hybrid hits mined per question for negatives
    scale: float = 20.0  # bi-encoder: cosine x scale are the softmax logits
    # bi-encoder: > 0 trains a LoRA adapter of this rank (saved alone: about 1 MB, applied to the
    # verified base weights at load time) instead of every weight (a 45 MB float16 copy)
    lora_rank: int = 16
    seed: int = 0

    @property
    def lr(self) -> float:
        return self.learning_rate or (3e-4 if self.lora_rank else 2e-5)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"reranker kind: {' or '.join(KINDS)}, not {self.kind!r}")
        if self.group_size < 2:
            raise ValueError("group_size must be at least 2: one answer and one negative")
        if self.lora_rank and self.kind != "bi-encoder":
            raise ValueError("lora_rank applies to the bi-encoder kind only; use lora_rank=0")


def is_held_out(group_key: str, fraction: float) -> bool:
    """Stable across runs and machines (sha256, not Python's salted hash)."""
    digest = hashlib.sha256(group_key.strip().lower().encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def split(
    questions: Sequence[TrainingQuestion], titles: dict[str, str], fraction: float
) -> tuple[list[TrainingQuestion], list[TrainingQuestion]]:
    """(train, held out): a question goes with its first answer document's title (`titles`: id ->
    title, as `PassageStore.titles()` gives), so every question on a topic lands on one side."""
    train_side: list[TrainingQuestion] = []
    held_out: list[TrainingQuestion] = []
    for q in questions:
        first = q.gold_ids[0] if q.gold_ids else q.id
        key = titles.get(first) or first
        (held_out if is_held_out(key, fraction) else train_side).append(q)
    return train_side, held_out


def is_gold(hit: Hit, gold_ids: Sequence[str]) -> bool:
    return hit.passage.doc_id in gold_ids or bool(hit.passage.pmid and hit.passage.pmid in gold_ids)


def make_group(question: TrainingQuestion, hits: Sequence[Hit], size: int) -> Group | None:
    """Highest-ranked answer passage against the highest-ranked passages of other documents;
    None when the answer is not among `hits` or there are too few negatives."""
    positive = next((h for h in hits if is_gold(h, question.gold_ids)), None)
    negatives = [h.passage.text for h in hits if not is_gold(h, question.gold_ids)][: size - 1]
    if positive is None or len(negatives) < size - 1:
        return None
    return Group(question.question, positive.passage.text, tuple(negatives))


def mine(
    retriever,
    questions: Sequence[TrainingQuestion],
    settings: RerankTrainingSettings = RerankTrainingSettings(),
    progress: bool = True,
) -> tuple[list[Group], int]:
    """Training groups with hard negatives from `retriever`'s hybrid search (a
    `retrieval.Retriever`; any reranker it has is bypassed), and how many questions gave none."""
    from tqdm import tqdm

    groups: list[Group] = []
    bar = tqdm(total=len(questions), desc="mining negatives", disable=not progress)
    for start in range(0, len(questions), 32):
        batch = questions[start : start + 32]
        results = retriever.search_many([q.question for q in batch], settings.candidates,
                                        "hybrid", rerank=False)
        for question, hits in zip(batch, results, strict=True):
            if (group := make_group(question, hits, settings.group_size)) is not None:
                groups.append(group)
        bar.update(len(batch))
    bar.close()
    return groups, len(questions) - len(groups)


def warmup_then_linear(step: int, total: int, warmup: float) -> float:
    """Learning-rate multiplier: rises to 1 over the warm-up, then falls linearly to 0."""
    ramp = max(1, math.ceil(total * warmup))
    if step < ramp:
        return (step + 1) / ramp
    return max(0.0, (total - step) / max(1, total - ramp))


def save_lora(model, out_dir: Path, settings: RerankTrainingSettings) -> None:
    """The adapter alone (float16) and `reranker.json` naming its base, for `Reranker`."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    net = model[0].auto_model
    state = {k: v.half().contiguous() for k, v in get_peft_model_state_dict(net).items()}
    save_file(state, str(out_dir / "adapter_model.safetensors"))
    lora_config(settings.lora_rank).save_pretrained(str(out_dir))
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(
        {"kind": "bi-encoder", "base": settings.base, "max_length": settings.max_length}, indent=2
    ) + "\n")


def _cross_encoder(base: Path, settings: RerankTrainingSettings):
    """(model to save, module to train, loss of a batch of groups)."""
    import torch
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(base), num_labels=1, max_length=settings.max_length, device="cpu",
                         local_files_only=True)
    net, tok = model.model, model.tokenizer

    def loss(batch: Sequence[Group]):
        pairs = [(g.question, text) for g in batch for text in (g.positive, *g.negatives)]
        features = tok([q for q, _ in pairs], [t for _, t in pairs], truncation="only_second",
                       max_length=settings.max_length, padding=True, return_tensors="pt")
        logits = net(**features).logits.view(len(batch), settings.group_size)
        return torch.nn.functional.cross_entropy(logits, torch.zeros(len(batch), dtype=torch.long))

    return model, net, loss


def _bi_encoder(base: Path, settings: RerankTrainingSettings):
    """(model to save, module to train, loss): each question against every passage in the batch
    (its own negatives and the other questions' passages)."""
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(base), device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.float32})
    model.max_seq_length = settings.max_length
    if settings.lora_rank:
        add_lora(model, settings.lora_rank)

    def embed(texts: list[str]):
        features = model.tokenize(texts)
        return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)

    def loss(batch: Sequence[Group]):
        questions = embed([g.question for g in batch])
        passages = embed([text for g in batch for text in (g.positive, *g.negatives)])
        logits = questions @ passages.T * settings.scale
        answers = torch.arange(len(batch)) * settings.group_size
        return torch.nn.functional.cross_entropy(logits, answers)

    return model, model, loss


def train(
    groups: Sequence[Group],
    out_dir: Path,
    settings: RerankTrainingSettings = RerankTrainingSettings(),
    cache_dir: Path | None = None,
    progress: bool = True,
    card: dict | None = None,
) -> Path:
    """Fine-tune and save a sentence-transformers model folder (SentenceTransformer or
    CrossEncoder, by `settings.kind`) at `out_dir`.

    Weights are saved in float16 (half the size to ship); `retrieval.rerank.Reranker` loads them
    back as float32 on a CPU. `card` (data, split, figures) is written beside them as
    training.json.
    """
    import torch
    from tqdm import tqdm

    if not groups:
        raise ValueError("no training groups: no question had its answer among the candidates")
    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    base = Path(resolve(settings.base, cache_dir or DEFAULT_CACHE))
    build = _bi_encoder if settings.kind == "bi-encoder" else _cross_encoder
    model, net, batch_loss = build(base, settings)
    trainable = [p for p in net.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=settings.lr, weight_decay=0.01)
    order = list(groups) * settings.epochs
    random.shuffle(order)
    steps = math.ceil(len(order) / settings.groups_per_step)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: warmup_then_linear(s, steps, settings.warmup)
    )
    net.train()
    started, losses = time.perf_counter(), []
    bar = tqdm(range(steps), desc=f"training {settings.kind}", unit="step", disable=not progress)
    for step in bar:
        batch = order[step * settings.groups_per_step : (step + 1) * settings.groups_per_step]
        loss = batch_loss(batch)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        losses.append(loss.item())
        bar.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
    net.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    if settings.lora_rank:
        save_lora(model, out_dir, settings)
    else:
        net.half()
        model.save(str(out_dir))
    record = {
        "settings": {**asdict(settings), "learning_rate": settings.lr},
        "groups": len(groups),
        "steps": steps,
        "seconds": round(time.perf_counter() - started, 1),
        "loss_first_50": sum(losses[:50]) / len(losses[:50]),
        "loss_last_50": sum(losses[-50:]) / len(losses[-50:]),
        **(card or {}),
    }
    (out_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return out_dir

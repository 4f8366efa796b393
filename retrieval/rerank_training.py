"""Train a reranker from the embedder's weights on questions with known answers.

No trained (biomedical) reranker installs offline, so medchat grows its own, teaching it to put
each question's answer passage above the passages hybrid search confuses it with (hard
negatives), with a softmax loss over one positive and `group_size - 1` negatives. The mining and
the split are medchat's; the training loop, schedule, losses, checkpoints and LoRA adapter are
sentence-transformers' (its trainer, `MultipleNegativesRankingLoss`, `add_adapter`). Two kinds:

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
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from retrieval.hits import Hit
from retrieval.rerank import ADAPTER_CONFIG, KINDS, lora_config
from retrieval.weights import DEFAULT_CACHE, resolve

log = logging.getLogger(__name__)


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


def dataset(groups: Sequence[Group]):
    """One row per group, in the column order sentence-transformers' ranking losses read: the
    question, its answer passage, then one column per hard negative."""
    from datasets import Dataset

    columns = {"question": [g.question for g in groups], "positive": [g.positive for g in groups]}
    for i in range(len(groups[0].negatives)):
        columns[f"negative_{i + 1}"] = [g.negatives[i] for g in groups]
    return Dataset.from_dict(columns)


def _bi_encoder(base: Path, settings: RerankTrainingSettings):
    """(model, loss, trainer class, arguments class): each question against every passage of its
    batch (its own negatives and the other questions' passages), cosine x `scale` as logits."""
    import torch
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    model = SentenceTransformer(str(base), device="cpu", local_files_only=True,
                                model_kwargs={"dtype": torch.float32})
    model.max_seq_length = settings.max_length
    if settings.lora_rank:
        model.add_adapter(lora_config(settings.lora_rank))  # freezes all but the LoRA layers
    loss = MultipleNegativesRankingLoss(model, scale=settings.scale)
    return model, loss, SentenceTransformerTrainer, SentenceTransformerTrainingArguments


def _cross_encoder(base: Path, settings: RerankTrainingSettings):
    """(model, loss, trainer class, arguments class): softmax over the raw logits of each
    question's own group."""
    from sentence_transformers import CrossEncoder
    from sentence_transformers.cross_encoder import (
        CrossEncoderTrainer,
        CrossEncoderTrainingArguments,
    )
    from sentence_transformers.cross_encoder.losses import MultipleNegativesRankingLoss

    class GroupSoftmaxLoss(MultipleNegativesRankingLoss):
        """Hard negatives only: in-batch pairs would each cost a forward pass of their own."""

        def get_in_batch_negatives(self, anchors, candidates):
            return iter(())

    model = CrossEncoder(str(base), num_labels=1, max_length=settings.max_length, device="cpu",
                         local_files_only=True)
    loss = GroupSoftmaxLoss(model, scale=1.0, activation_fn=None)
    return model, loss, CrossEncoderTrainer, CrossEncoderTrainingArguments


def _loss_bar():
    """The trainer's progress bar showing the mean loss of the last 50 steps, in place of its
    one printed line per logged step."""
    from transformers import ProgressCallback

    class LossBar(ProgressCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            losses = [e["loss"] for e in state.log_history[-50:] if "loss" in e]
            if self.training_bar is not None and losses:
                self.training_bar.set_postfix(loss=f"{sum(losses) / len(losses):.3f}")

    return LossBar()


def _stop_at(step: int):
    """A callback ending training, with a checkpoint, after `step` steps; the learning-rate
    schedule stays planned for the whole run, so resuming reproduces an uninterrupted one."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= step:
                control.should_training_stop = control.should_save = True

    return StopAt()


def save_lora(model, out_dir: Path, settings: RerankTrainingSettings) -> None:
    """The adapter alone (float16) and `reranker.json` naming its base, for `Reranker`."""
    from safetensors.torch import save_file

    state = {k: v.half().contiguous() for k, v in model.get_adapter_state_dict().items()}
    save_file(state, str(out_dir / "adapter_model.safetensors"))
    lora_config(settings.lora_rank).save_pretrained(str(out_dir))
    (out_dir / ADAPTER_CONFIG).write_text(json.dumps(
        {"kind": "bi-encoder", "base": settings.base, "max_length": settings.max_length}, indent=2
    ) + "\n")


def run_key(groups: Sequence[Group], settings: RerankTrainingSettings) -> str:
    """What a checkpoint was trained for: resuming with other groups or settings would mix runs."""
    payload = json.dumps([asdict(settings), [asdict(g) for g in groups]], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _checkpoint_to_resume(checkpoints: Path, key: str, resume: bool) -> str | None:
    """The newest checkpoint of this run when resuming; otherwise start clean."""
    from transformers.trainer_utils import get_last_checkpoint

    marker = checkpoints / "run.key"
    if not resume:
        shutil.rmtree(checkpoints, ignore_errors=True)
    elif marker.is_file() and marker.read_text() != key:
        raise ValueError(f"the checkpoints in {checkpoints} are of other training groups or "
                         "settings: resume with the same questions and options, or delete them")
    checkpoints.mkdir(parents=True, exist_ok=True)
    marker.write_text(key)
    last = get_last_checkpoint(str(checkpoints))
    if resume and last is None:
        log.warning("no checkpoint in %s: training from the start", checkpoints)
    return last


def train(
    groups: Sequence[Group],
    out_dir: Path,
    settings: RerankTrainingSettings = RerankTrainingSettings(),
    cache_dir: Path | None = None,
    progress: bool = True,
    card: dict | None = None,
    resume: bool = False,
    save_steps: int = 50,
    stop_at: int = 0,
) -> Path:
    """Fine-tune with sentence-transformers' trainer and save a model folder (a LoRA adapter, a
    SentenceTransformer or a CrossEncoder, by `settings`) at `out_dir`.

    Checkpoints go to `out_dir/checkpoints` every `save_steps` steps; `resume` continues from the
    newest one (same groups and settings) and they are deleted once the model is saved;
    `stop_at` > 0 ends a run early at that step with a checkpoint and no model. Weights
    are saved in float16 (half the size to ship); `retrieval.rerank.Reranker` loads them back as
    float32 on a CPU. `card` (data, split, figures) is written beside them as training.json.
    """
    import torch
    from transformers import PrinterCallback, ProgressCallback

    if not groups:
        raise ValueError("no training groups: no question had its answer among the candidates")
    torch.manual_seed(settings.seed)
    base = Path(resolve(settings.base, cache_dir or DEFAULT_CACHE))
    build = _bi_encoder if settings.kind == "bi-encoder" else _cross_encoder
    model, loss, trainer_class, arguments_class = build(base, settings)
    checkpoints = out_dir / "checkpoints"
    args = arguments_class(
        output_dir=str(checkpoints), num_train_epochs=settings.epochs,
        per_device_train_batch_size=settings.groups_per_step, learning_rate=settings.lr,
        warmup_steps=settings.warmup, lr_scheduler_type="linear", weight_decay=0.01,
        optim="adamw_torch", max_grad_norm=1.0, logging_steps=1, save_strategy="steps",
        save_steps=save_steps, save_total_limit=2, seed=settings.seed, data_seed=settings.seed,
        report_to=[], use_cpu=True, dataloader_num_workers=0, disable_tqdm=not progress,
    )
    trainer = trainer_class(model=model, args=args, train_dataset=dataset(groups), loss=loss)
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    if progress:
        trainer.add_callback(_loss_bar())
    if stop_at:
        trainer.add_callback(_stop_at(stop_at))
    last = _checkpoint_to_resume(checkpoints, run_key(groups, settings), resume)
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=last)
    seconds = time.perf_counter() - started
    if trainer.state.global_step < trainer.state.max_steps:
        return out_dir  # stopped early: the checkpoints are the result
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    model.eval()
    if settings.lora_rank:
        save_lora(model, out_dir, settings)
    else:
        model.half()
        model.save_pretrained(str(out_dir))
    shutil.rmtree(checkpoints, ignore_errors=True)
    record = {
        "settings": {**asdict(settings), "learning_rate": settings.lr},
        "groups": len(groups),
        "steps": trainer.state.global_step,
        "seconds": round(seconds, 1),
        **({"resumed_from_step": int(Path(last).name.split("-")[-1])} if last else {}),
        "loss_first_50": sum(losses[:50]) / len(losses[:50]),
        "loss_last_50": sum(losses[-50:]) / len(losses[-50:]),
        **(card or {}),
    }
    (out_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    return out_dir

"""Teach the answer generator medchat's answer format with a LoRA adapter (supervised).

Examples come from development questions with known answers (`assistant.sft_data`), their
sources from the real retriever. Only the answer's tokens are learnt (the prompt's labels are
masked), and the prompt is tokenized exactly as `Generator` does at run time, chat template
included. transformers' Trainer runs the loop: checkpoints every `save_steps`, resume from the
latest, a progress bar with the loss. The adapter is saved alone in float16 beside a model card,
`training.json` (data, split, token lengths, timings, losses, the weights' sha256) and the
held-out examples.
"""

from __future__ import annotations

import json
import logging
import statistics
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant.generator import Generator, GeneratorSettings
from assistant.sft_data import (
    DevQuestion,
    ExampleSettings,
    SftExample,
    dev_question,
    examples_for,
    split,
    to_json,
)
from retrieval.hits import Hit
from retrieval.weights import sha256_file

log = logging.getLogger(__name__)

HELD_OUT_FILE = "held_out.jsonl"
CHECKPOINTS = "checkpoints"


@dataclass(frozen=True)
class GeneratorTrainingSettings:
    """Defaults: a run of about 40 minutes on 2 CPU cores for SmolLM2-135M."""

    base: str = "SmolLM2-135M-Instruct"
    examples: ExampleSettings = field(default_factory=ExampleSettings)
    holdout: float = 0.2  # fraction of topics kept out of training
    candidates: int = 30  # hits retrieved per question (gold passage and negatives come from them)
    lora_rank: int = 8
    lora_alpha: int = 16
    # LoRA on every linear layer of the top N transformer layers (0 = all layers): backward stops
    # below them, so a step costs about 40% less than with all layers on a CPU
    lora_layers: int = 10
    lora_dropout: float = 0.05
    learning_rate: float = 3e-4
    batch_size: int = 1  # one sequence at a time: no padding wasted on a CPU
    grad_accum: int = 4  # sequences per optimiser step
    epochs: float = 1.0
    max_steps: int = 0  # > 0 stops after this many optimiser steps
    stop_at: int = 0  # > 0 stops after this many steps, the schedule still planned for the run
    warmup: float = 0.05  # fraction of steps with a rising learning rate
    save_steps: int = 10  # checkpoint every N optimiser steps
    max_length: int = 1024  # longer examples are left out (and counted)
    threads: int = 1  # torch CPU threads; 0 keeps torch's default
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.holdout < 1:
            raise ValueError(f"holdout is a fraction of topics in [0, 1), got {self.holdout}")
        if self.lora_rank < 1 or self.batch_size < 1 or self.grad_accum < 1:
            raise ValueError("lora_rank, batch_size and grad_accum must be at least 1")
        if self.max_steps < 0 or self.stop_at < 0 or self.save_steps < 1:
            raise ValueError("max_steps and stop_at must be >= 0 and save_steps >= 1")


def read_questions(path: str | Path, limit: int | None = None) -> list[DevQuestion]:
    """Development questions from a JSONL file (PubMedQA, Evidence Inference, MedQuAD)."""
    questions = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                questions.append(dev_question(json.loads(line)))
            if limit and len(questions) >= limit:
                break
    return questions


def retrieve(retriever, questions: Sequence[DevQuestion], candidates: int,
             progress: bool = True) -> list[list[Hit]]:
    """Hybrid-search hits for each question, as `Assistant` retrieves them (no reranker)."""
    from tqdm import tqdm

    results: list[list[Hit]] = []
    bar = tqdm(total=len(questions), desc="retrieving sources", disable=not progress)
    for start in range(0, len(questions), 32):
        batch = questions[start : start + 32]
        results += retriever.search_many([q.question for q in batch], candidates, "hybrid",
                                         rerank=False)
        bar.update(len(batch))
    bar.close()
    return results


def build_examples(
    retriever, questions: Sequence[DevQuestion], settings: GeneratorTrainingSettings,
    progress: bool = True,
) -> tuple[list[SftExample], int]:
    """Examples for `questions`, and how many gave none (the answer was not retrieved, or its
    document opens with no sentence to copy)."""
    hits = retrieve(retriever, questions, settings.candidates, progress)
    examples: list[SftExample] = []
    unusable = 0
    for question, found in zip(questions, hits, strict=True):
        made = examples_for(question, found, settings.examples)
        unusable += not made
        examples += made
    return examples, unusable


def prepare(
    retriever, paths: Sequence[str | Path], settings: GeneratorTrainingSettings,
    limit: int | None = None, progress: bool = True,
) -> tuple[list[SftExample], list[SftExample], dict]:
    """(train, held out, a record of the data per file) from development question files."""
    train_side: list[SftExample] = []
    held_out: list[SftExample] = []
    files = {}
    for path in paths:
        questions = read_questions(path, limit)
        examples, unusable = build_examples(retriever, questions, settings, progress)
        train_part, held_part = split(examples, settings.holdout)
        train_side += train_part
        held_out += held_part
        files[f"{Path(path).parent.name}/{Path(path).name}"] = {
            "questions": len(questions), "no_example": unusable,
            "train_examples": len(train_part), "held_out_examples": len(held_part),
            "abstain_examples": sum(e.kind == "abstain" for e in examples),
        }
    return train_side, held_out, files


def write_examples(path: Path, examples: Sequence[SftExample]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for example in examples:
            fh.write(json.dumps(to_json(example)) + "\n")


def tokenize(generator: Generator, example: SftExample) -> dict:
    """Token ids of the prompt exactly as `Generator` feeds it, then the target and the end of
    turn; labels are -100 on the prompt so that only the answer is learnt."""
    tok = generator.tokenizer
    context = generator.format(example.prompt)
    prompt_ids = tok(context)["input_ids"]
    completion = example.target if context[-1:].isspace() else " " + example.target
    answer_ids = tok(completion, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    return {
        "input_ids": prompt_ids + answer_ids,
        "attention_mask": [1] * (len(prompt_ids) + len(answer_ids)),
        "labels": [-100] * len(prompt_ids) + answer_ids,
    }


def length_summary(lengths: Sequence[int]) -> dict:
    if not lengths:
        return {}
    ordered = sorted(lengths)
    return {"min": ordered[0], "median": statistics.median(ordered),
            "p95": ordered[int(0.95 * (len(ordered) - 1))], "max": ordered[-1]}


def save_adapter(model, out_dir: Path, base: str) -> None:
    """The LoRA weights alone in float16 (half the size to ship), with their PEFT config naming
    the packaged base; `Generator` loads them over the verified base weights."""
    from safetensors.torch import load_file, save_file

    model.save_pretrained(str(out_dir))
    weights = out_dir / "adapter_model.safetensors"
    state = {k: v.half().contiguous() for k, v in load_file(str(weights)).items()}
    save_file(state, str(weights))
    config_path = out_dir / "adapter_config.json"
    config = json.loads(config_path.read_text())
    config["base_model_name_or_path"] = base
    config_path.write_text(json.dumps(config, indent=2) + "\n")


def lora_config(model, settings: GeneratorTrainingSettings):
    """LoRA on every linear layer, of the top `lora_layers` transformer layers when set."""
    import torch
    from peft import LoraConfig

    depth = model.config.get_text_config().num_hidden_layers
    layers = None
    if 0 < settings.lora_layers < depth:
        layers = list(range(depth - settings.lora_layers, depth))
    linear = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                     if isinstance(module, torch.nn.Linear) and ".layers." in name})
    return LoraConfig(r=settings.lora_rank, lora_alpha=settings.lora_alpha,
                      lora_dropout=settings.lora_dropout, target_modules=linear,
                      layers_to_transform=layers, task_type="CAUSAL_LM")


def _trainer(model, tokenizer, rows: list[dict], out_dir: Path,
             settings: GeneratorTrainingSettings, progress: bool):
    from transformers import DataCollatorForSeq2Seq, Trainer, TrainingArguments

    args = TrainingArguments(
        output_dir=str(out_dir / CHECKPOINTS),
        per_device_train_batch_size=settings.batch_size,
        gradient_accumulation_steps=settings.grad_accum,
        learning_rate=settings.learning_rate,
        lr_scheduler_type="linear",
        warmup_steps=settings.warmup,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps or -1,
        logging_steps=1,
        save_strategy="steps",
        save_steps=settings.save_steps,
        save_total_limit=2,
        use_cpu=True,
        optim="adamw_torch",
        report_to="none",
        seed=settings.seed,
        disable_tqdm=not progress,
        dataloader_num_workers=0,
    )
    collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=-100)
    callbacks = [_stop_at(settings.stop_at)] if settings.stop_at else []

    class AnswerOnlyTrainer(Trainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            loss, logits = answer_only_loss(model, inputs, num_items_in_batch)
            return (loss, {"logits": logits}) if return_outputs else loss

    return AnswerOnlyTrainer(model=model, args=args, train_dataset=rows, data_collator=collator,
                             callbacks=callbacks)


def answer_only_loss(model, inputs: dict, num_items_in_batch=None):
    """(loss, logits) of a causal LM with logits computed only where the next token is learnt.

    The same loss as transformers' (cross-entropy summed over the answer's tokens, divided by
    the answer tokens of the whole accumulated batch, else of this batch), but the output layer
    runs on the answer's ~10% of positions only: with Gemma's 262k-token vocabulary that layer
    dominates a CPU training step (and its fp32 logits take ~0.6 GB a sequence)."""
    import torch

    targets = inputs["labels"][:, 1:]
    keep = targets.ne(-100).any(dim=0).nonzero().squeeze(-1)
    logits = model(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"),
                   logits_to_keep=keep).logits
    loss = torch.nn.functional.cross_entropy(
        logits.flatten(0, 1).float(), targets[:, keep].flatten(), ignore_index=-100,
        reduction="sum")
    count = num_items_in_batch if num_items_in_batch is not None else targets.ne(-100).sum()
    return loss / count, logits


def _stop_at(step: int):
    """A callback ending training (with a checkpoint) after `step` optimiser steps, leaving the
    learning-rate schedule as planned: a run cut short for time is reproduced exactly."""
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= step:
                control.should_training_stop = True
                control.should_save = True
            return control

    return StopAt()


def train(
    examples: Sequence[SftExample],
    out_dir: Path,
    settings: GeneratorTrainingSettings = GeneratorTrainingSettings(),
    cache_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    card: dict | None = None,
) -> Path:
    """Fine-tune a LoRA adapter on `examples` and save it (with README.md and training.json) in
    `out_dir`; `resume` continues from the latest checkpoint in `out_dir/checkpoints`."""
    import torch
    from peft import get_peft_model
    from transformers.trainer_utils import get_last_checkpoint

    from retrieval.weights import DEFAULT_CACHE

    if not examples:
        raise ValueError("no training examples: no question had its answer among the sources")
    if settings.threads:
        torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    generator = Generator(GeneratorSettings(model=settings.base, device="cpu", adapter=""),
                          cache_dir or DEFAULT_CACHE)
    tokenized = [tokenize(generator, e) for e in examples]
    rows = [r for r in tokenized if len(r["input_ids"]) <= settings.max_length]
    model = get_peft_model(generator.model, lora_config(generator.model, settings))
    out_dir.mkdir(parents=True, exist_ok=True)
    checkpoint = get_last_checkpoint(str(out_dir / CHECKPOINTS)) if resume and (
        out_dir / CHECKPOINTS).is_dir() else None
    if resume and checkpoint is None:
        log.warning("no checkpoint in %s: starting from the base model", out_dir / CHECKPOINTS)
    started = time.perf_counter()
    limit = min(n for n in (settings.max_steps, settings.stop_at, 10**9) if n > 0)
    if checkpoint and limit <= _step_of(checkpoint):
        state = _load_checkpoint(model, Path(checkpoint))  # a run stopped early: keep it as is
        runtime = None
    else:
        trainer = _trainer(model, generator.tokenizer, rows, out_dir, settings, progress)
        result = trainer.train(resume_from_checkpoint=checkpoint)
        state = trainer.state
        runtime = result.metrics.get("train_runtime")
    seconds = time.perf_counter() - started
    model.eval()
    save_adapter(model, out_dir, settings.base)
    losses = [h["loss"] for h in state.log_history if "loss" in h]
    steps = state.global_step
    record = {
        "settings": asdict(settings),
        "examples": len(examples),
        "trained_on": len(rows),
        "left_out_too_long": len(tokenized) - len(rows),
        "tokens": {
            "prompt": length_summary([r["labels"].count(-100) for r in tokenized]),
            "answer": length_summary([len(r["labels"]) - r["labels"].count(-100)
                                      for r in tokenized]),
            "total": length_summary([len(r["input_ids"]) for r in tokenized]),
        },
        "steps": steps,
        "resumed_from": Path(checkpoint).name if checkpoint else None,
        "seconds_this_run": round(seconds, 1),
        "seconds_per_step": round((runtime or seconds) / (steps - _step_of(checkpoint)), 2)
        if steps > _step_of(checkpoint) else None,
        "loss_first_10": _mean(losses[:10]),
        "loss_last_10": _mean(losses[-10:]),
        "adapter_sha256": sha256_file(out_dir / "adapter_model.safetensors"),
        **(card or {}),
    }
    (out_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    (out_dir / "README.md").write_text(model_card(record))
    return out_dir


def _load_checkpoint(model, checkpoint: Path):
    """The adapter weights and trainer state of `checkpoint`, for `--resume --max-steps N` at a
    checkpoint of step N: the Trainer would take one step more than asked."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file
    from transformers import TrainerState

    set_peft_model_state_dict(model, load_file(str(checkpoint / "adapter_model.safetensors")))
    return TrainerState.load_from_json(str(checkpoint / "trainer_state.json"))


def _step_of(checkpoint: str | None) -> int:
    return int(Path(checkpoint).name.rsplit("-", 1)[1]) if checkpoint else 0


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def model_card(record: dict) -> str:
    """README.md for the adapter: what it is, how it was trained, how to use and check it."""
    s = record["settings"]
    ex = s["examples"]
    files = "\n".join(f"  - `{name}`: {json.dumps(v)}" for name, v in
                      record.get("data", {}).items())
    tokens = record["tokens"]["total"]
    speed = (f"{record['seconds_per_step']} s a step on this machine"
             if record["seconds_per_step"] else f"kept as checkpointed ({record['resumed_from']})")
    return f"""# medchat answer-generator adapter

A LoRA adapter (rank {s['lora_rank']}, alpha {s['lora_alpha']}, every linear layer of the top
{s['lora_layers'] or 'all'} transformer layers; float16)
over **{s['base']}**, whose packaged weights are sha256-verified before loading
(`retrieval/weights.py`). It teaches medchat's answer format: given the question and numbered
sources (`assistant/prompt.py`), a verdict first where the question asks one (Yes / No /
Unclear; for trials Increased / Decreased / No significant difference), then one to
{ex['max_sentences']} sentences copied from the sources, each citing [n]; or
"The evidence retrieved does not answer this." when the sources do not answer.

Use it: `[generator]` `model = "{s['base']}"`, `adapter = "<this folder>"`.
Weights: `adapter_model.safetensors`, sha256 `{record.get('adapter_sha256', '')}`.

## Training (training.json has the exact record)
- Data: development questions with known answers, their sources from medchat's hybrid search
  over the built-in index (top {ex['sources']}, each cut to about {ex['source_chars']}
  characters of whole sentences; the passage holding the answer is put last when it ranked
  lower). Per file:
{files}
- Abstention examples: for a stable {ex['abstain_share']:.0%} of questions, the
  highest-ranked passages of documents on other topics.
- Held out: {s['holdout']:.0%} of topics (sha256 of the gold document's title), written to
  `{HELD_OUT_FILE}` beside the adapter.
- {record['trained_on']} examples ({record['left_out_too_long']} over {s['max_length']} tokens
  left out), {tokens.get('median')} tokens median ({tokens.get('max')} max);
  {record['steps']} steps of {s['batch_size'] * s['grad_accum']} sequences, lr
  {s['learning_rate']}, {speed}; loss
  {record['loss_first_10']} (first 10 steps) -> {record['loss_last_10']} (last 10).

## Limits
Trained on PubMed abstracts (PubMedQA, Evidence Inference RCTs) and consumer-health answers
(MedQuAD) only. Its answers copy source sentences; medchat still checks every citation
(`assistant/citations.py`). Measure before relying on it: `medchat generator eval`.
"""

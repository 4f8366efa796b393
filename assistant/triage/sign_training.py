"""Train the meaning layer's sign detector from the sign bank (`medchat triage-signs train`).

MiniLM already places "her face is drooping" near "her face looks droopy", but it also places
"no chest pain at all" near "crushing chest pain". Fine-tuning a LoRA adapter with
sentence-transformers' MultipleNegativesRankingLoss on (phrasing, another phrasing of the same
sign, a hard negative of that sign) pulls each sign's phrasings together and pushes its
negated, past, relative's and minor look-alikes away; typos and dropped apostrophes are added to
anchors so misspelt messages land in the same place.

The bank is split by a stable hash of each line's text: training lines, calibration lines (the
decision thresholds and neighbour count are chosen on them) and test lines (the figures in the
model card). The shipped detector votes over the whole bank; its figures were measured with the
training lines only as the bank, so they describe phrasings the model never saw.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from sentence_transformers.base.sampler import DefaultBatchSampler

from assistant.triage import meaning
from assistant.triage.matching import normalise
from assistant.triage.meaning import BankLine, ClauseReading, DetectorSettings, SignDetector
from assistant.triage.red_flags import evaluate, find_terms

CHECKPOINTS = "checkpoints"
KEYBOARD = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


@dataclass(frozen=True)
class SignTrainingSettings:
    """Defaults are the recipe of the shipped `medchat-triage-signs` (see its training.json)."""

    base: str = "all-MiniLM-L6-v2"
    lora_rank: int = 16
    max_length: int = 64
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 1e-3  # 3e-4 left the loss at 2.4 after 3 epochs; this reaches 1.3
    warmup: float = 0.1
    scale: float = 20.0  # cosine x scale are the softmax logits
    typo_rate: float = 0.5  # fraction of anchors given typos and dropped apostrophes
    calibrate_fraction: float = 0.15
    test_fraction: float = 0.15
    neighbour_choices: tuple[int, ...] = (3, 5, 7, 9)
    max_steps: int = -1  # > 0 stops early (tests)
    save_steps: int = 40  # checkpoint every N steps, for resuming
    # torch CPU threads while training (0: torch's default). One thread is the default because
    # on two cores shared with other jobs a step took 2 s with one thread and 15-30 s with two.
    threads: int = 1
    seed: int = 0


# --- data -------------------------------------------------------------------------------------


def bank_part(line: BankLine, settings: SignTrainingSettings) -> str:
    """"test", "calibrate" or "train", stable across runs and machines (sha256 of the text)."""
    digest = hashlib.sha256(" ".join(line.text.lower().split()).encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64
    if position < settings.test_fraction:
        return "test"
    if position < settings.test_fraction + settings.calibrate_fraction:
        return "calibrate"
    return "train"


def split_bank(lines: Sequence[BankLine], settings: SignTrainingSettings) -> dict[str, list]:
    parts: dict[str, list[BankLine]] = {"train": [], "calibrate": [], "test": []}
    for line in lines:
        parts[bank_part(line, settings)].append(line)
    return parts


def add_typos(text: str, rng: random.Random, rate: float = 0.2) -> str:
    """A misspelt copy: apostrophes dropped half the time, and about `rate` of the longer words
    given one slip (two letters swapped, one dropped, doubled or hit with a neighbouring key)."""
    if rng.random() < 0.5:
        text = text.replace("'", "").replace("\u2019", "")
    words = text.split(" ")
    long_words = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    chosen = [i for i in long_words if rng.random() < rate] or long_words[:1]
    for i in chosen:
        words[i] = _slip(words[i], rng)
    return " ".join(words)


def _slip(word: str, rng: random.Random) -> str:
    at = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("swap", "drop", "double", "key"))
    if kind == "swap":
        return word[:at] + word[at + 1] + word[at] + word[at + 2:]
    if kind == "drop":
        return word[:at] + word[at + 1:]
    if kind == "double":
        return word[:at] + word[at] + word[at:]
    row = next((r for r in KEYBOARD if word[at].lower() in r), None)
    if row is None:
        return word
    col = row.index(word[at].lower())
    near = row[max(0, col - 1)] if col and rng.random() < 0.5 else row[min(len(row) - 1, col + 1)]
    return word[:at] + near + word[at + 1:]


def training_rows(
    lines: Sequence[BankLine], settings: SignTrainingSettings, rng: random.Random
) -> list[dict]:
    """(anchor, positive, negative, label = group number) rows for MultipleNegativesRankingLoss.

    Each positive of a sign is an anchor for another phrasing of it against one of its hard
    negatives; each negative that is not merely another sign ("other") is an anchor for another
    negative of the same sign against one of its positives, so negations cluster apart.
    """
    groups = sorted({line.group for line in lines})
    number = {g: i for i, g in enumerate(groups)}
    pos: dict[str, list[str]] = defaultdict(list)
    neg: dict[str, list[BankLine]] = defaultdict(list)
    for line in lines:
        (pos[line.group].append(line.text) if line.label == 1 else neg[line.group].append(line))
    fallback = [line.text for line in lines if line.label == 0 and line.kind in
                meaning.CONTEXT_KINDS] or [line.text for line in lines if line.label == 0]

    def noisy(text: str) -> str:
        return add_typos(text, rng) if rng.random() < settings.typo_rate else text

    rows = []
    for g in groups:
        positives, negatives = pos[g], [n.text for n in neg[g]]
        if len(positives) < 2:
            continue
        hard = negatives or fallback
        for i, text in enumerate(positives):
            partner = rng.choice([p for p in positives if p != text] or positives)
            rows.append({"anchor": noisy(text), "positive": partner,
                         "negative": hard[i % len(hard)] if hard else partner, "label": number[g]})
        for line in neg[g]:
            if line.kind == "other":
                continue
            same = [n.text for n in neg[g] if n.text != line.text]
            alike = [n.text for n in neg[g] if n.text != line.text and n.kind == line.kind]
            if not same:
                continue
            rows.append({"anchor": noisy(line.text), "positive": rng.choice(alike or same),
                         "negative": rng.choice(positives), "label": number[g]})
    rng.shuffle(rows)
    for row in rows:  # the model reads what the detector will feed it
        for key in ("anchor", "positive", "negative"):
            row[key] = normalise(row[key])
    return rows


# --- batching ---------------------------------------------------------------------------------


def plan_batches(labels: Sequence[int], size: int, seed: int) -> list[list[int]]:
    """Row indices cut into batches with at most one row of each group: two phrasings of one
    sign in a batch would be each other's false in-batch negatives. Each batch takes a row from
    the groups with the most rows left, so the epoch does not end in a run of tiny batches."""
    rng = random.Random(seed)
    queues: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        queues[label].append(i)
    for queue in queues.values():
        rng.shuffle(queue)
    batches = []
    while any(queues.values()):
        order = sorted((g for g, q in queues.items() if q),
                       key=lambda g: (-len(queues[g]), rng.random()))
        batches.append([queues[g].pop() for g in order[:size]])
    rng.shuffle(batches)
    return batches


class OneRowPerGroupSampler(DefaultBatchSampler):
    """The trainer's batch sampler (`batch_sampler=`): `plan_batches` over the dataset's `label`
    (group) column, reshuffled each epoch and the same again on resume."""

    def __init__(self, dataset, batch_size: int, drop_last: bool, valid_label_columns=None,
                 generator=None, seed: int = 0) -> None:
        super().__init__(dataset, batch_size, drop_last, valid_label_columns, generator, seed)
        self.labels = list(dataset["label"])

    def __iter__(self):
        yield from plan_batches(self.labels, self.batch_size, self.seed + self.epoch)

    def __len__(self) -> int:
        return len(plan_batches(self.labels, self.batch_size, self.seed + self.epoch))


# --- fine-tuning ------------------------------------------------------------------------------


def run_key(lines: Sequence[BankLine], settings: SignTrainingSettings) -> str:
    """What a checkpoint was trained for: resuming with other data or settings would mix runs."""
    recipe = asdict(replace(settings, max_steps=-1, save_steps=0, threads=0))  # not the recipe
    payload = json.dumps([meaning.bank_fingerprint(lines), recipe], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def fine_tune(lines: Sequence[BankLine], work_dir: Path, settings: SignTrainingSettings,
              cache_dir: Path | None = None, progress: bool = True):
    """A SentenceTransformer with a trained LoRA adapter, and a record of the run. Checkpoints go
    to `work_dir`; a run that finds one there for the same data and settings resumes from it."""
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from retrieval.rerank import lora_config
    from retrieval.weights import DEFAULT_CACHE, resolve

    rows = training_rows(lines, settings, random.Random(settings.seed))
    if not rows:
        raise ValueError("no training rows: each group needs at least two positive phrasings")
    key, marker = run_key(lines, settings), work_dir / "run.key"
    if work_dir.exists() and (not marker.is_file() or marker.read_text() != key):
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(key)
    resume = any(work_dir.glob("checkpoint-*"))

    if settings.threads:
        torch.set_num_threads(settings.threads)
    torch.manual_seed(settings.seed)
    model = SentenceTransformer(resolve(settings.base, cache_dir or DEFAULT_CACHE), device="cpu",
                                local_files_only=True, model_kwargs={"dtype": torch.float32})
    model.max_seq_length = settings.max_length
    model.add_adapter(lora_config(settings.lora_rank))
    args = SentenceTransformerTrainingArguments(
        output_dir=str(work_dir), num_train_epochs=settings.epochs, max_steps=settings.max_steps,
        per_device_train_batch_size=settings.batch_size, learning_rate=settings.learning_rate,
        warmup_steps=settings.warmup, lr_scheduler_type="linear", weight_decay=0.01,
        save_strategy="steps", save_steps=settings.save_steps, save_total_limit=1,
        logging_steps=10, seed=settings.seed, data_seed=settings.seed, report_to=[],
        use_cpu=True, dataloader_num_workers=0, disable_tqdm=not progress,
        batch_sampler=OneRowPerGroupSampler,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=Dataset.from_list(rows),
        loss=MultipleNegativesRankingLoss(model, scale=settings.scale),
    )
    result = trainer.train(resume_from_checkpoint=True if resume else None)
    model.eval()
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return model, {"rows": len(rows), "steps": trainer.state.global_step, "resumed": resume,
                   "train_loss": round(result.training_loss, 4),
                   "loss_first_log": losses[0] if losses else None,
                   "loss_last_log": losses[-1] if losses else None}


def save_adapter(model, out_dir: Path, settings: SignTrainingSettings) -> None:
    """The adapter alone, float16 (about 1.4 MB), in the layout `retrieval.rerank.apply_adapter`
    loads, and `signs.json` with default decision settings until calibration replaces them."""
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    from retrieval.rerank import lora_config

    net = model[0].auto_model
    state = {k: v.half().contiguous() for k, v in get_peft_model_state_dict(net).items()}
    save_file(state, str(out_dir / meaning.ADAPTER_FILE))
    lora_config(settings.lora_rank).save_pretrained(str(out_dir))
    write_settings(out_dir, DetectorSettings(base=settings.base, max_length=settings.max_length))


def write_settings(out_dir: Path, detector_settings: DetectorSettings) -> None:
    (out_dir / meaning.SETTINGS_FILE).write_text(
        json.dumps(detector_settings.to_json(), indent=2) + "\n")


def write_bank(lines: Sequence[BankLine], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "bank.jsonl", "w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(json.dumps({"group": line.group, "text": line.text, "label": line.label,
                                 "kind": line.kind}) + "\n")
    return folder


# --- calibration and figures ------------------------------------------------------------------

RANK = {None: 0, "self-care": 1, "routine": 2, "urgent": 3, "emergency": 4}


def rank(text: str, extra: frozenset[str] = frozenset()) -> int:
    """How urgent the rule book finds `text` given `extra` groups (0: no rule fires)."""
    hits = evaluate(text, extra=extra)
    return RANK[hits[0].level if hits else None]


@dataclass(frozen=True)
class Scored:
    """A bank line read by the detector, with what the rule book makes of it: the groups its
    patterns find, its level from the rules alone, and its level once told the line's sign."""

    line: BankLine
    readings: tuple[ClauseReading, ...]
    rules_read: frozenset[str]
    rules_rank: int
    needed_rank: int


def read_lines(detector: SignDetector, lines: Sequence[BankLine]) -> list[Scored]:
    out = []
    for line in lines:
        base = rank(line.text)
        needed = rank(line.text, frozenset({line.group})) if line.label == 1 else base
        out.append(Scored(line, detector.read(line.text), find_terms(line.text).present, base,
                          needed))
    return out


def group_scores(detector: SignDetector, scored: Sequence[Scored],
                 neighbours: int) -> list[dict[str, float]]:
    """Per line, every group it signals with its best score, thresholds set aside."""
    zeros = np.zeros(len(detector.bank.groups), dtype=np.float32)
    out = []
    for s in scored:
        best: dict[str, float] = {}
        for m in detector.decide(s.readings, neighbours, zeros):
            best[m.group] = max(best.get(m.group, 0.0), m.score)
        out.append(best)
    return out


def figures(scored: Sequence[Scored], scores: Sequence[dict[str, float]],
            levels: dict[str, str], thresholds: dict[str, float],
            memo: dict | None = None) -> dict:
    """What the layer gets right and wrong at these thresholds.

    - per level of group: recall of the lines' own groups, and precision of detections, where a
      detection on a positive line is right when it is the line's group or one the rule book
      also reads there ("a temperature of 40" is `fever` as well as `high_fever`), and any
      detection on a negative line is wrong;
    - escalation: lines whose sign should raise the rules' level (recall: raised at least that
      far) and lines the layer raised (precision: not past the line's own level);
    - negatives by kind: own group fired, any group fired, level raised.
    """
    memo = {} if memo is None else memo
    fig: dict = {lv: {"positives": 0, "hits": 0, "right": 0, "wrong": 0}
                 for lv in ("emergency", "urgent")}
    esc = {"needed": 0, "reached": 0, "raised": 0, "raised_right": 0}
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for i, (s, best) in enumerate(zip(scored, scores, strict=True)):
        fired = frozenset(g for g, v in best.items() if v >= thresholds[levels[g]])
        if (i, fired) not in memo:
            memo[i, fired] = rank(s.line.text, fired) if fired else s.rules_rank
        got = memo[i, fired]
        right = ({s.line.group} | s.rules_read) if s.line.label == 1 else frozenset()
        for g in fired:
            fig[levels[g]]["right" if g in right else "wrong"] += 1
        if s.line.label == 1:
            fig[levels[s.line.group]]["positives"] += 1
            fig[levels[s.line.group]]["hits"] += s.line.group in fired
        else:
            counts = kinds[s.line.kind]
            counts[0] += 1
            counts[1] += s.line.group in fired
            counts[2] += bool(fired)
            counts[3] += got > s.rules_rank
        if s.needed_rank > s.rules_rank:
            esc["needed"] += 1
            esc["reached"] += got >= s.needed_rank
        if got > s.rules_rank:
            esc["raised"] += 1
            esc["raised_right"] += got <= s.needed_rank
    out: dict = {lv: {"positives": f["positives"], "recall": _ratio(f["hits"], f["positives"]),
                      "detections": f["right"] + f["wrong"],
                      "precision": _ratio(f["right"], f["right"] + f["wrong"])}
                 for lv, f in fig.items()}
    out["escalation"] = {"needed": esc["needed"], "recall": _ratio(esc["reached"], esc["needed"]),
                         "raised": esc["raised"],
                         "precision": _ratio(esc["raised_right"], esc["raised"])}
    out["negatives"] = {k: {"lines": n, "own_group_fired": _ratio(own, n),
                            "any_group_fired": _ratio(a, n), "level_raised": _ratio(up, n)}
                        for k, (n, own, a, up) in sorted(kinds.items())}
    return out


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 3) if b else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _f1(fig: dict) -> float:
    r, p = fig["recall"] or 0.0, fig["precision"] or 0.0
    return 2 * p * r / (p + r) if p + r else 0.0


def calibrate(detector: SignDetector, scored: Sequence[Scored], levels: dict[str, str],
              choices: Sequence[int]) -> tuple[DetectorSettings, dict]:
    """The neighbour count and per-level thresholds whose escalations have the best F1 on the
    calibration lines: raising a level that needed raising, against raising one that did not
    (ties go to lower thresholds, the cautious side)."""
    grid = [round(float(t), 2) for t in np.arange(0.50, 0.97, 0.02)]
    best: tuple[tuple[float, float, float], DetectorSettings, dict] | None = None
    for k in choices:
        scores, memo = group_scores(detector, scored, k), {}
        for em in grid:
            for urg in grid:
                thresholds = {"emergency": em, "urgent": urg}
                fig = figures(scored, scores, levels, thresholds, memo)
                key = (_f1(fig["escalation"]), -em, -urg)
                if best is None or key > best[0]:
                    chosen = replace(detector.settings, neighbours=k,
                                     thresholds=tuple(sorted(thresholds.items())))
                    best = (key, chosen, fig)
    if best is None:
        return detector.settings, {}
    return best[1], best[2]


# --- the whole run ----------------------------------------------------------------------------


def train(out_dir: Path, bank_dir: Path = meaning.BANK_DIR,
          settings: SignTrainingSettings = SignTrainingSettings(),
          cache_dir: Path | None = None, progress: bool = True) -> Path:
    """Fine-tune on the bank's training part, choose the decision settings on its calibration
    part, measure on its test part, and save the adapter, `signs.json`, the whole bank's vectors,
    training.json and a model card into `out_dir` (checkpoints in `out_dir/checkpoints` until
    the run succeeds, so a rerun resumes)."""
    started = time.perf_counter()
    levels = meaning.signal_levels()
    parts = split_bank(meaning.read_bank(bank_dir, levels), settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    model, run = fine_tune(parts["train"], out_dir / CHECKPOINTS, settings, cache_dir, progress)
    save_adapter(model, out_dir, settings)
    record = finish(out_dir, bank_dir, settings, cache_dir)
    record.update(training=run, seconds=round(time.perf_counter() - started, 1))
    (out_dir / "training.json").write_text(json.dumps(record, indent=2) + "\n")
    (out_dir / "README.md").write_text(model_card(record))
    shutil.rmtree(out_dir / CHECKPOINTS, ignore_errors=True)
    return out_dir


def finish(out_dir: Path, bank_dir: Path, settings: SignTrainingSettings,
           cache_dir: Path | None = None) -> dict:
    """Calibrate and measure a saved adapter, write `signs.json` and the whole bank's vectors,
    and return the record for training.json. The detector is measured as shipped (float16
    adapter, merged) with only the training lines as its bank."""
    levels = meaning.signal_levels()
    lines = meaning.read_bank(bank_dir, levels)
    parts = split_bank(lines, settings)
    with tempfile.TemporaryDirectory() as tmp:
        detector = SignDetector.load(str(out_dir), cache_dir, write_bank(parts["train"],
                                                                         Path(tmp)))
    chosen, calibration = calibrate(detector, read_lines(detector, parts["calibrate"]), levels,
                                    settings.neighbour_choices)
    thresholds = dict(chosen.thresholds)

    def measure(test_lines: Sequence[BankLine]) -> dict:
        scored = read_lines(detector, test_lines)
        return figures(scored, group_scores(detector, scored, chosen.neighbours), levels,
                       thresholds)

    rng = random.Random(settings.seed + 1)
    misspelt = [replace(line, text=add_typos(line.text, rng))
                for line in parts["test"] if line.label == 1]
    test, typo = measure(parts["test"]), measure(misspelt)
    write_settings(out_dir, chosen)
    SignDetector.load(str(out_dir), cache_dir, bank_dir)  # embeds the whole bank and saves it
    return {
        "settings": asdict(settings),
        "detector": chosen.to_json(),
        "bank": {"fingerprint": meaning.bank_fingerprint(lines), "lines": len(lines),
                 "groups": len({line.group for line in lines}),
                 "parts": {k: len(v) for k, v in parts.items()},
                 "split": "sha256 of the lower-cased text as a fraction of 2^64: below "
                          f"{settings.test_fraction} test, below "
                          f"{settings.test_fraction + settings.calibrate_fraction} calibrate, "
                          "else train"},
        "calibration": calibration,
        "test": test,
        "test_with_typos": {k: typo[k] for k in ("emergency", "urgent", "escalation")},
        "reproduce": "medchat triage-signs train --out DIR",
    }


def model_card(record: dict) -> str:
    """The README.md shipped beside the adapter, from the training record."""
    test, typo, bank = record["test"], record["test_with_typos"], record["bank"]
    det, run, cfg = record["detector"], record["training"], record["settings"]

    def row(name: str, what: str) -> str:
        f, t = test[name], typo[name]
        size = f.get("positives", f.get("needed"))
        return f"| {what} | {size} | {f['recall']} | {f['precision']} | {t['recall']} |"

    kinds = "\n".join(f"| {k} | {v['lines']} | {v['own_group_fired']} | {v['any_group_fired']} | "
                      f"{v['level_raised']} |" for k, v in test["negatives"].items())
    return f"""# medchat-triage-signs

The triage meaning layer's sign detector (`assistant/triage/meaning.py`): a **LoRA adapter**
(rank {cfg['lora_rank']}, float16) over **all-MiniLM-L6-v2** (Apache-2.0; the packaged weights
are sha256-verified before loading), plus the embedded sign bank (`bank.npz`, float16) and the
decision settings (`signs.json`). It recognises the rule book's term groups in patients' own
words, clause by clause, and only adds groups: the rules still decide the level.

## Data
`assistant/triage/sign_bank/*.jsonl`: {bank['lines']} labelled phrasings of {bank['groups']}
term groups (lay, indirect, clinical and misspelt positives; negated, past, relative's,
hypothetical and minor look-alike negatives), written for medchat. Split by sha256 of each
line's text: {bank['parts']['train']} training, {bank['parts']['calibrate']} calibration,
{bank['parts']['test']} test lines (bank fingerprint `{bank['fingerprint']}`).

## Method
sentence-transformers' `SentenceTransformerTrainer` with MultipleNegativesRankingLoss (scale
{cfg['scale']}) over (phrasing, another phrasing of the same sign, a hard negative of it) and
(negative, another negative of that sign, a positive of it) rows, one row of a sign per batch of
{cfg['batch_size']}; {round(cfg['typo_rate'] * 100)}% of the anchors get typos or dropped
apostrophes. {run['rows']} rows, {cfg['epochs']} epochs ({run['steps']} steps), learning rate
{cfg['learning_rate']}, seed {cfg['seed']}; loss {_round(run['loss_first_log'])} ->
{_round(run['loss_last_log'])}.
A clause signals a group when, among its {det['neighbours']} nearest bank lines, one of the
group's positives is at or above the threshold (emergency groups
{det['thresholds']['emergency']}, urgent groups {det['thresholds']['urgent']}) and the positives
outvote the group's hard negatives and any negated, past, relative's or hypothetical line; k and
the thresholds were chosen on the calibration lines for the best F1 of escalations. Retrain with
`medchat triage-signs train --out DIR`; training.json has every setting and figure.

## Held-out figures (test lines, bank = training lines only)
Groups: recall of each line's own group; precision counts a detection right when it is the
line's group or one the rule book also reads in it. Escalation: lines whose sign should raise
the rules' level (recall: raised at least that far; precision: raises that did not overshoot).

| | lines | recall | precision | recall, typos added |
|---|---|---|---|---|
{row('emergency', 'emergency groups')}
{row('urgent', 'urgent groups')}
{row('escalation', 'escalation')}

Negative lines (share where their own group fired / any group fired / the level rose):

| kind | lines | own group | any group | level raised |
|---|---|---|---|---|
{kinds}

## Limits
English only; the bank was written for this project, not collected from patients, and the test
lines come from the same writers, so expect lower figures on real messages. It reads one clause
at a time: a sign spread over two sentences, or negated in an earlier clause, can be missed or
misread. It only adds term groups to the rules, so its errors raise levels, never lower them.
"""

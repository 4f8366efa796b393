"""Measure an answer generator on held-out fine-tuning examples, before and after tuning.

The model's raw draft is scored (before `citations.ground` repairs or drops anything), so the
figures say what the model itself learnt: does it state the right verdict first, does each
sentence cite a source that holds its words and numbers, does it abstain when the sources do not
answer (and only then), and how fast it writes.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.citations import is_abstention
from assistant.prompt import STOP
from assistant.sft_data import VERDICTS, SftExample, numbers, overlap, sentences
from corpus.records import Passage

MIN_SUPPORT = 0.5  # share of a sentence's content words the cited source must hold
_MARK = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_EFFECT_WORDS = (  # first match wins, negative phrasings first
    ("no significant difference", ("no significant", "not significant", "did not differ",
                                   "no difference", "not differ", "similar")),
    ("increased", ("increase", "higher", "greater", "more ", "improve")),
    ("decreased", ("decrease", "lower", "reduc", "less ", "fewer")),
)


@dataclass(frozen=True)
class Scored:
    """One held-out example's outcome."""

    id: str
    task: str
    kind: str
    gold_verdict: str
    said_verdict: str
    sentences: int  # claim sentences of the draft (a leading verdict sentence not counted)
    cited_ok: int  # of them, those citing a source that supports them
    abstained: bool
    tokens: int
    seconds: float
    draft: str


def stated_verdict(draft: str, task: str) -> str:
    """The verdict a draft states: its leading label ("Yes.", "No significant difference."),
    else for trials the direction its first sentence words; "" when it states none."""
    first = (sentences(draft) or [""])[0].lower()
    lead = first.lstrip(" *-\"'")
    for label in sorted(VERDICTS.get(task, ()), key=len, reverse=True):
        if lead.startswith(label):
            return label
    if task == "yes_no" and lead.startswith(("maybe", "uncertain")):
        return "unclear"
    if task == "effect":
        for label, words in _EFFECT_WORDS:
            if any(w in first for w in words):
                return label
    return ""


def _is_verdict_only(sentence: str, task: str) -> bool:
    bare = sentence.strip().rstrip(".!").lower()
    return bare in VERDICTS.get(task, ()) or bare in ("maybe", "uncertain")


def supports(sentence: str, passage: Passage) -> bool:
    """The source holds at least half the sentence's content words and all of its numbers."""
    bare = _MARK.sub(" ", sentence)
    return overlap(bare, passage.text) >= MIN_SUPPORT and numbers(bare) <= numbers(passage.text)


def citation_counts(draft: str, passages: Sequence[Passage], task: str) -> tuple[int, int]:
    """(claim sentences, those with a valid [n]: an existing source that supports them)."""
    total = ok = 0
    for sentence in sentences(" ".join(draft.split())):
        if _is_verdict_only(sentence, task) or not _MARK.sub("", sentence).strip(" ."):
            continue
        total += 1
        cited = {int(n) for group in _MARK.findall(sentence) for n in re.split(r"[,;]\s*", group)}
        ok += any(1 <= n <= len(passages) and supports(sentence, passages[n - 1]) for n in cited)
    return total, ok


def score(example: SftExample, draft: str, tokens: int, seconds: float) -> Scored:
    abstained = is_abstention(draft)
    total, ok = (0, 0) if abstained else citation_counts(draft, example.passages, example.task)
    return Scored(
        id=example.id, task=example.task, kind=example.kind, gold_verdict=example.verdict,
        said_verdict=stated_verdict(draft, example.task) if example.verdict else "",
        sentences=total, cited_ok=ok, abstained=abstained, tokens=tokens,
        seconds=round(seconds, 2), draft=draft,
    )


def _interleave(groups: Sequence[Sequence[SftExample]]) -> list[SftExample]:
    """The first of each group, then the second of each, ..."""
    out: list[SftExample] = []
    for depth in range(max((len(g) for g in groups), default=0)):
        out += [g[depth] for g in groups if depth < len(g)]
    return out


def balanced(examples: Sequence[SftExample], n: int) -> list[SftExample]:
    """Up to `n` examples taken in turn from each group (yes/no, trial and open answers,
    abstentions of every task), in file order: a small sample still covers every kind."""
    by_key: dict[tuple[str, str], list[SftExample]] = {}
    for e in examples:
        by_key.setdefault((e.kind, e.task), []).append(e)
    answers = [g for (kind, _), g in by_key.items() if kind == "answer"]
    abstains = _interleave([g for (kind, _), g in by_key.items() if kind == "abstain"])
    return _interleave([*answers, abstains])[:n]


def _share(hits: int, total: int) -> float | None:
    return round(hits / total, 3) if total else None


def summarize(scored: Sequence[Scored]) -> dict:
    """Verdict accuracy, cited-sentence share, abstention both ways, and generation speed."""
    verdicts = [s for s in scored if s.kind == "answer" and s.gold_verdict]
    answers = [s for s in scored if s.kind == "answer"]
    abstains = [s for s in scored if s.kind == "abstain"]
    summary = {
        "examples": len(scored),
        "verdict_accuracy": _share(sum(s.said_verdict == s.gold_verdict for s in verdicts),
                                   len(verdicts)),
        "verdict_stated": _share(sum(bool(s.said_verdict) for s in verdicts), len(verdicts)),
        "cited_sentence_share": _share(sum(s.cited_ok for s in answers),
                                       sum(s.sentences for s in answers)),
        "answers_with_a_valid_citation": _share(sum(s.cited_ok > 0 for s in answers),
                                                len(answers)),
        "abstained_when_it_should": _share(sum(s.abstained for s in abstains), len(abstains)),
        "abstained_when_it_should_not": _share(sum(s.abstained for s in answers), len(answers)),
        # of the drafts that abstained, the share whose sources did not answer (depends on the
        # sample's mix: a balanced sample holds one abstention example in four)
        "abstention_precision": _share(sum(s.abstained for s in abstains),
                                       sum(s.abstained for s in scored)),
        "tokens_per_second": round(sum(s.tokens for s in scored)
                                   / max(1e-9, sum(s.seconds for s in scored)), 2),
    }
    for task in ("yes_no", "effect"):
        part = [s for s in verdicts if s.task == task]
        summary[f"verdict_accuracy_{task}"] = _share(
            sum(s.said_verdict == s.gold_verdict for s in part), len(part))
        summary[f"verdict_macro_f1_{task}"] = macro_f1(
            [s.gold_verdict for s in part], [s.said_verdict for s in part], VERDICTS[task])
    return summary


def macro_f1(gold: Sequence[str], said: Sequence[str], labels: Sequence[str]) -> float | None:
    """Mean F1 over the verdict labels that occur (in `gold` or `said`): a model answering one
    label to everything scores low on it even where that label is the majority. A missing
    verdict ("") is a miss of the gold label and no label's false positive."""
    scores = []
    for label in labels:
        hit = sum(g == s == label for g, s in zip(gold, said, strict=True))
        gold_n, said_n = sum(g == label for g in gold), sum(s == label for s in said)
        if gold_n or said_n:
            scores.append(2 * hit / (gold_n + said_n))
    return round(sum(scores) / len(scores), 3) if scores else None


def evaluate(generator, examples: Sequence[SftExample], max_new_tokens: int = 128,
             progress: bool = True, log: Path | None = None) -> tuple[dict, list[dict]]:
    """(summary, one record per example) for `generator` answering each held-out prompt.

    With `log` (JSONL), each record is appended as soon as it is scored and records already
    there are reused, so an interrupted evaluation continues where it stopped.
    """
    from tqdm import tqdm

    done = {}
    if log is not None and log.is_file():
        with open(log, encoding="utf-8") as fh:
            done = {r["id"]: Scored(**r) for r in map(json.loads, fh) if r.get("id")}
    scored = []
    for example in tqdm(examples, desc="answering held-out examples", disable=not progress):
        if example.id in done:
            scored.append(done[example.id])
            continue
        started = time.perf_counter()
        draft = generator.generate(example.prompt, max_new_tokens=max_new_tokens, stop=STOP)
        seconds = time.perf_counter() - started
        tokens = len(generator.tokenizer(draft, add_special_tokens=False)["input_ids"])
        scored.append(score(example, draft, tokens, seconds))
        if log is not None:
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(asdict(scored[-1])) + "\n")
    return summarize(scored), [asdict(s) for s in scored]


def answer_loss(generator, example: SftExample) -> float:
    """Mean negative log-likelihood per token of the target answer (and end of turn) given the
    prompt, tokenized as training tokenizes it: learning shows here before it shows in drafts.
    Logits are computed for the answer's positions only (a 262k-token vocabulary, as Gemma's,
    makes them the costliest part of a forward pass on a CPU)."""
    import torch

    from assistant.generator_training import tokenize

    row = tokenize(generator, example)
    answer = [t for t in row["labels"] if t != -100]
    ids = torch.tensor([row["input_ids"]], device=generator.device)
    with torch.no_grad():
        logits = generator.model(input_ids=ids, logits_to_keep=len(answer) + 1).logits[0, :-1]
    target = torch.tensor(answer, device=generator.device)
    return float(torch.nn.functional.cross_entropy(logits.float(), target))


def answer_losses(generator, examples: Sequence[SftExample],
                  progress: bool = True) -> tuple[dict, list[dict]]:
    """(mean answer loss over `examples`, overall and for answers and abstentions apart; one
    record per example, so that runs can be compared on a common subset)."""
    from tqdm import tqdm

    rows = [{"id": e.id, "task": e.task, "kind": e.kind,
             "loss": round(answer_loss(generator, e), 4)}
            for e in tqdm(examples, desc="scoring held-out answers", disable=not progress)]

    def mean(kind: str | None) -> float | None:
        values = [r["loss"] for r in rows if kind in (None, r["kind"])]
        return round(sum(values) / len(values), 4) if values else None

    summary = {"examples": len(rows), "answer_loss": mean(None),
               "answer_loss_answers": mean("answer"), "answer_loss_abstentions": mean("abstain")}
    return summary, rows

"""Fine-tuning examples for the answer generator, built the way the assistant prompts it.

An example is what `Assistant.answer_stream` shows the model (the question and the retrieved
passages as numbered sources, formatted by `answer_prompt`) and the answer it should write: a
verdict first where the question asks one, then one to three sentences copied from the sources,
each citing its source as [n]. Copying keeps every number exactly as a source gives it. The same
question paired with passages that do not answer it teaches the abstention sentence.

Sources are cut to a few hundred characters of whole sentences so that sequences stay short
enough to train on a CPU; the passage that holds the answer keeps the sentences that answer.
Whole topics (the gold document's title) are held out by a stable hash, so a report on the
held-out side measures subjects training never saw.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from assistant.citations import content_words
from assistant.prompt import answer_prompt, sanitize
from assistant.records import ABSTAIN
from corpus.chunking import split_sentences
from corpus.records import Passage
from retrieval.hits import Hit
from retrieval.rerank_training import is_held_out

TASKS = ("yes_no", "effect", "open")  # PubMedQA, Evidence Inference, MedQuAD-style questions
VERDICTS = {
    "yes_no": ("yes", "no", "unclear"),
    "effect": ("increased", "decreased", "no significant difference"),
    "open": (),
}
_PUBMEDQA = {"yes": "yes", "no": "no", "maybe": "unclear"}
_TRIAL = {
    "significantly increased": "increased",
    "significantly decreased": "decreased",
    "no significant difference": "no significant difference",
}
MATCH = 0.8  # share of a key sentence's content words a source sentence must hold to stand for it
_ALNUM = re.compile(r"[^a-z0-9]+")
_BOILERPLATE = re.compile(
    r"\b(?:the following|table below|listed below|medical advice|Medical Dictionary)\b", re.I
)
_ABBREVIATION_END = re.compile(r"\b(?:vs|al|approx|ca|cf|e\.g|i\.e|figs?|ref|resp)\.$", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_CITE_MARK = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class DevQuestion:
    """A development question, its gold documents and what a correct answer says."""

    id: str
    task: str  # one of TASKS
    question: str
    gold_ids: tuple[str, ...]
    verdict: str = ""  # one of VERDICTS[task]; "" for open questions
    key_texts: tuple[str, ...] = ()  # long answer / evidence; () = the answer document's opening


@dataclass(frozen=True)
class ExampleSettings:
    """How examples are cut: runtime shows 5 sources of up to 1,200 characters; CPU training
    affords fewer and shorter."""

    sources: int = 3
    source_chars: int = 600
    max_sentences: int = 3  # answer sentences in a target
    open_chars: int = 400  # an open answer copies at most this much of its document's opening
    abstain_share: float = 0.25  # share of questions that also give an abstention example

    def __post_init__(self) -> None:
        if self.sources < 1 or self.source_chars < 100 or self.max_sentences < 1:
            raise ValueError("examples need at least 1 source of 100 characters and 1 sentence")
        if not 0 <= self.abstain_share <= 1:
            raise ValueError(f"abstain_share is a fraction in [0, 1], got {self.abstain_share}")


@dataclass(frozen=True)
class SftExample:
    """One training or held-out example: the prompt's parts and the answer to learn."""

    id: str
    task: str
    kind: str  # "answer" | "abstain"
    question: str
    passages: tuple[Passage, ...]
    target: str
    verdict: str  # the gold verdict ("" for open questions and abstentions)
    topic: str  # the gold document's title: the hold-out key

    @property
    def prompt(self) -> str:
        return answer_prompt(self.question, self.passages)


def dev_question(record: dict) -> DevQuestion:
    """A question from a development file: PubMedQA (decision + long answer), Evidence
    Inference (label + evidence) or any file with `gold_ids` (MedQuAD: answer documents)."""
    if "decision" in record:
        return DevQuestion(
            id=f"pubmedqa-{record['pmid']}", task="yes_no", question=record["question"],
            gold_ids=(str(record["pmid"]),), verdict=_PUBMEDQA[record["decision"]],
            key_texts=tuple(split_sentences(record["long_answer"])),
        )
    if "evidence" in record:
        return DevQuestion(
            id=record["id"], task="effect", question=record["question"],
            gold_ids=tuple(record["gold_pmids"]), verdict=_TRIAL[record["label"]],
            key_texts=tuple(record["evidence"]),
        )
    gold = record.get("gold_ids") or record.get("gold_pmids")
    if not gold:
        raise ValueError(f"question {record.get('id')!r} has no gold_ids, decision or evidence")
    return DevQuestion(id=record["id"], task="open", question=record["question"],
                       gold_ids=tuple(gold))


def sentences(text: str) -> list[str]:
    """`split_sentences`, re-joining pieces it cut after an abbreviation ("vs. 1130 ...")."""
    out: list[str] = []
    for piece in split_sentences(text):
        if out and _ABBREVIATION_END.search(out[-1]):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out


def body_sentences(passage: Passage) -> list[str]:
    """The passage's sentences after its title (a section's first one keeps its label)."""
    body = passage.text
    if passage.title and body.startswith(passage.title):
        body = body[len(passage.title) :]
    return [s for line in body.split("\n") for s in sentences(line)]


def strip_label(sentence: str, labels: Sequence[str]) -> str:
    """A sentence without the "RESULTS: " prefix its section gave it."""
    for label in labels:
        if label and sentence.startswith(label + ": "):
            return sentence[len(label) + 2 :]
    return sentence


def cut(passage: Passage, limit: int, keep: Sequence[int] = ()) -> Passage:
    """The passage with its body cut to whole sentences within `limit` characters: the `keep`
    sentences (indexes into `body_sentences`) and their neighbours, else its opening."""
    parts = body_sentences(passage)
    chosen = set(keep)
    if chosen:
        span = range(min(chosen), max(chosen) + 1)
        if sum(len(parts[i]) + 1 for i in span) <= limit:
            chosen = set(span)
    used = sum(len(parts[i]) + 1 for i in chosen)
    low = min(chosen, default=0)
    high = max(chosen, default=-1)
    while True:  # grow the window after, then before, while whole sentences fit
        grew = False
        for i in (high + 1, low - 1):
            if 0 <= i < len(parts) and i not in chosen and used + len(parts[i]) <= limit:
                chosen.add(i)
                used += len(parts[i]) + 1
                low, high, grew = min(low, i), max(high, i), True
        if not grew:
            break
    body = " ".join(parts[i] for i in sorted(chosen))
    if not body and parts:  # the opening sentence alone is too long: cut it by words
        body = parts[0][:limit].rsplit(" ", 1)[0] + " ..."
    text = f"{passage.title}\n{body}" if passage.title else body
    return replace(passage, text=text)


def overlap(text: str, other: str) -> float:
    """Share of `text`'s content words that occur in `other` (0 when it has none)."""
    words = content_words(text)
    return len(words & content_words(other)) / len(words) if words else 0.0


def _norm(text: str) -> str:
    return _ALNUM.sub(" ", text.lower()).strip()


def match_sentences(keys: Sequence[str], source: Sequence[str]) -> list[int]:
    """Indexes of the source sentences that say what `keys` say, in key order; [] unless every
    key is found (verbatim, letters and digits compared, or by `MATCH` of its content words)."""
    found: list[int] = []
    norms = [_norm(s) for s in source]
    for key in keys:
        for piece in sentences(key) or [key]:
            target = _norm(piece)
            hits = [i for i, n in enumerate(norms) if target and target in n]
            if not hits:
                scores = [overlap(piece, s) for s in source]
                best = max(range(len(source)), key=scores.__getitem__, default=None)
                if best is None or scores[best] < MATCH:
                    return []
                hits = [best]
            if hits[0] not in found:
                found.append(hits[0])
    return found


def is_gold(passage: Passage, gold_ids: Sequence[str]) -> bool:
    return passage.doc_id in gold_ids or bool(passage.pmid and passage.pmid in gold_ids)


def cited(sentence: str, number: int) -> str:
    """A source sentence as the model sees it (sanitized), ending with its citation."""
    text = sanitize(sentence, 100_000).rstrip()
    if text.endswith((".", "!", "?")):
        text = text[:-1].rstrip()
    return f"{text} [{number}]."


def verdict_sentence(verdict: str) -> str:
    """The verdict as the answer's first sentence ("Yes.", "No significant difference."): alone,
    so that the citation check, which cannot verify it, drops it without touching the rest."""
    return verdict[:1].upper() + verdict[1:] + "."


def _key_passage(question: DevQuestion, gold: Sequence[Hit], settings: ExampleSettings):
    """(gold hit, indexes of its answering sentences) or None when no gold passage holds them."""
    if question.task == "open":  # the answer document's opening: its first passage
        hit = min(gold, key=lambda h: h.passage.chunk)
        keep, used = [], 0
        for i, sentence in enumerate(body_sentences(hit.passage)):
            if sentence.endswith(("?", ":")) or _BOILERPLATE.search(sentence):
                continue  # a heading ("What causes X?") or a pointer to a table, not an answer
            if used + len(sentence) > settings.open_chars or len(keep) == settings.max_sentences:
                break
            keep.append(i)
            used += len(sentence)
        return (hit, keep) if keep else None
    for hit in gold:
        keep = match_sentences(question.key_texts, body_sentences(hit.passage))
        if keep:
            return hit, keep[: settings.max_sentences]
    return None


def answer_example(
    question: DevQuestion, hits: Sequence[Hit], settings: ExampleSettings = ExampleSettings()
) -> SftExample | None:
    """The retriever's top sources (the passage holding the answer put in the last place when it
    ranked lower) and the answer copied from it; None when no retrieved gold passage holds it."""
    gold = [h for h in hits if is_gold(h.passage, question.gold_ids)]
    found = _key_passage(question, gold, settings) if gold else None
    if found is None:
        return None
    key, keep = found
    top = list(hits[: settings.sources])
    if key not in top:
        top[-1] = key
    number = top.index(key) + 1
    passages = tuple(
        cut(h.passage, settings.source_chars, keep if h is key else ()) for h in top
    )
    shown = " ".join(body_sentences(passages[number - 1]))
    wanted = [body_sentences(key.passage)[i] for i in keep]
    if any(s not in shown for s in wanted):
        return None  # a key sentence alone is longer than a source may be
    wanted = [strip_label(s, key.passage.sections) for s in wanted]
    parts = [cited(s, number) for s in wanted]
    if question.verdict:
        parts.insert(0, verdict_sentence(question.verdict))
    return SftExample(
        id=question.id, task=question.task, kind="answer", question=question.question,
        passages=passages, target=" ".join(parts), verdict=question.verdict,
        topic=key.passage.title or key.passage.doc_id,
    )


def abstain_example(
    question: DevQuestion, hits: Sequence[Hit], topic: str,
    settings: ExampleSettings = ExampleSettings(),
) -> SftExample | None:
    """The highest-ranked passages of documents on other topics (titles sharing under half of
    the topic's content words), answered by the abstention sentence."""
    others = [
        h.passage for h in hits
        if not is_gold(h.passage, question.gold_ids) and overlap(topic, h.passage.title) < 0.5
    ][: settings.sources]
    if len(others) < settings.sources:
        return None
    return SftExample(
        id=f"{question.id}-abstain", task=question.task, kind="abstain",
        question=question.question,
        passages=tuple(cut(p, settings.source_chars) for p in others),
        target=ABSTAIN, verdict="", topic=topic,
    )


def wants_abstention(question_id: str, share: float) -> bool:
    """Stable choice of the questions that also give an abstention example."""
    return is_held_out(f"abstain:{question_id}", share)


def examples_for(
    question: DevQuestion, hits: Sequence[Hit], settings: ExampleSettings = ExampleSettings()
) -> list[SftExample]:
    """The answer example and, for a stable share of questions, an abstention example; [] when
    the retriever did not bring back a gold passage that holds the answer."""
    answer = answer_example(question, hits, settings)
    if answer is None:
        return []
    if not wants_abstention(question.id, settings.abstain_share):
        return [answer]
    abstain = abstain_example(question, hits, answer.topic, settings)
    return [answer] if abstain is None else [answer, abstain]


def split(
    examples: Sequence[SftExample], fraction: float
) -> tuple[list[SftExample], list[SftExample]]:
    """(train, held out): by a stable hash of each example's topic, so a topic is on one side."""
    train_side: list[SftExample] = []
    held_out: list[SftExample] = []
    for example in examples:
        (held_out if is_held_out(example.topic, fraction) else train_side).append(example)
    return train_side, held_out


def numbers(text: str) -> set[str]:
    """The numbers written in a text, citation marks left out."""
    return set(_NUMBER.findall(_CITE_MARK.sub(" ", text)))


def to_json(example: SftExample) -> dict:
    """A JSON-ready record that rebuilds the example (and its prompt) without an index."""
    return {
        "id": example.id, "task": example.task, "kind": example.kind,
        "question": example.question, "verdict": example.verdict, "target": example.target,
        "topic": example.topic,
        "sources": [
            {"doc_id": p.doc_id, "chunk": p.chunk, "pmid": p.pmid, "title": p.title,
             "year": p.year, "sections": list(p.sections), "text": p.text}
            for p in example.passages
        ],
    }


def from_json(record: dict) -> SftExample:
    passages = tuple(
        Passage(doc_id=s["doc_id"], chunk=s["chunk"], text=s["text"], title=s["title"],
                pmid=s["pmid"], year=s["year"], sections=tuple(s["sections"]))
        for s in record["sources"]
    )
    return SftExample(
        id=record["id"], task=record["task"], kind=record["kind"], question=record["question"],
        passages=passages, target=record["target"], verdict=record["verdict"],
        topic=record["topic"],
    )

"""Readers for the evaluation inputs: question files, triage vignette and conversation files.

Unlike the corpus reader (which skips a bad record), an evaluation input with a bad line is
rejected: a silently shorter question set would make two runs incomparable. Every error names
the file and the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from corpus.errors import InputError
from corpus.jsonl import READ_ERRORS, open_binary

DECISIONS = ("yes", "no", "maybe")
LABELS = ("significantly increased", "significantly decreased", "no significant difference")
TRIAGE_GOLD = ("emergency", "non-emergency", "self-care")


class FormatError(InputError):
    """An input file that cannot be evaluated; the message starts with `path:line:`."""

    def __init__(self, path: str | Path, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.detail = message
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Question:
    """One evaluation question; `gold_ids` are PMIDs or doc ids of the documents that answer it."""

    id: str
    question: str
    gold_ids: tuple[str, ...] = ()
    decision: str | None = None
    label: str | None = None
    ideal_answer: str | None = None
    contexts: tuple[str, ...] = ()

    @property
    def task(self) -> str | None:
        """`decision` (yes/no/maybe), `label` (three effect labels) or None (retrieval only)."""
        if self.decision is not None:
            return "decision"
        if self.label is not None:
            return "label"
        return None

    @property
    def gold_answer(self) -> str | None:
        return self.decision if self.decision is not None else self.label

    @property
    def options(self) -> tuple[str, ...]:
        return DECISIONS if self.decision is not None else LABELS if self.label is not None else ()


@dataclass(frozen=True)
class Vignette:
    """One triage case; `gold` is on the file's 3-level scale. `diagnosis` is never shown."""

    id: str
    source: str
    text: str
    gold: str
    source_label: str = ""
    diagnosis: str = ""


@dataclass(frozen=True)
class Conversation:
    """A patient's messages to the intake, in order; by message `escalate_by` (1-based) the
    level must be at least `gold`. `diagnosis` is never shown."""

    id: str
    turns: tuple[str, ...]
    gold: str
    escalate_by: int
    diagnosis: str = ""


def _objects(path: Path, limit: int | None) -> Iterator[tuple[int, dict]]:
    """(line number, JSON object) for each non-blank line, up to `limit` objects."""
    if not path.is_file():
        raise FormatError(path, 0, "file not found")
    count, lineno = 0, 0
    try:
        with open_binary(path) as fh:
            for lineno, raw in enumerate(fh, 1):
                if limit is not None and count >= limit:
                    return
                obj = _parse(path, lineno, raw)
                if obj is None:
                    continue
                count += 1
                yield lineno, obj
    except READ_ERRORS as exc:
        raise FormatError(path, lineno + 1, f"the file ends early or is corrupt "
                          f"({type(exc).__name__}); re-download or re-compress it") from None


def _parse(path: Path, lineno: int, raw: bytes) -> dict | None:
    """One line's JSON object, None for a blank line; FormatError saying what is wrong."""
    try:
        line = raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise FormatError(path, lineno, f"not UTF-8 text (column {exc.start + 1}); save the "
                          "file as UTF-8") from None
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise FormatError(path, lineno, f"malformed JSON: {exc.msg}") from None
    except RecursionError:
        raise FormatError(path, lineno, "JSON nested too deeply to read") from None
    if not isinstance(obj, dict):
        raise FormatError(path, lineno, f"expected a JSON object, got {type(obj).__name__}")
    return obj


def _text(obj: dict, key: str, path: Path, lineno: int, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise FormatError(path, lineno, f"missing key {key!r}")
        return None
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise FormatError(path, lineno, f"{key!r} must be a non-empty string")
    return str(value).strip()


def _id_list(obj: dict, key: str, path: Path, lineno: int) -> tuple[str, ...]:
    value = obj.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise FormatError(path, lineno, f"{key!r} must be a list of ids")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _choice(obj: dict, key: str, allowed: tuple[str, ...], path: Path, lineno: int) -> str | None:
    value = _text(obj, key, path, lineno, required=False)
    if value is None:
        return None
    value = value.lower()
    if value not in allowed:
        expected = ", ".join(allowed)
        raise FormatError(path, lineno, f"{key!r} must be one of {expected}; got {value!r}")
    return value


def question_from_object(obj: dict, path: Path, lineno: int) -> Question:
    """A PubMedQA-style record (no `id`, a `pmid`) counts as `id = gold_pmids = [pmid]`."""
    pmid = _text(obj, "pmid", path, lineno, required=False)
    qid = _text(obj, "id", path, lineno, required=False) or pmid
    if qid is None:
        raise FormatError(path, lineno, "missing key 'id' (or 'pmid')")
    question = _text(obj, "question", path, lineno)
    gold = _id_list(obj, "gold_pmids", path, lineno) + _id_list(obj, "gold_ids", path, lineno)
    if pmid and pmid not in gold:
        gold += (pmid,)
    contexts = obj.get("contexts") or []
    if not isinstance(contexts, list):
        raise FormatError(path, lineno, "'contexts' must be a list of strings")
    ideal = obj.get("ideal_answer") or obj.get("long_answer")
    if isinstance(ideal, list):  # BioASQ writes ideal answers as a list
        ideal = ideal[0] if ideal else None
    return Question(
        id=qid,
        question=question or "",
        gold_ids=tuple(dict.fromkeys(gold)),
        decision=_choice(obj, "decision", DECISIONS, path, lineno),
        label=_choice(obj, "label", LABELS, path, lineno),
        ideal_answer=str(ideal) if ideal else None,
        contexts=tuple(str(c) for c in contexts),
    )


def read_questions(path: str | Path, limit: int | None = None) -> list[Question]:
    """The first `limit` questions of a JSONL file (files are pre-shuffled, so a fair sample)."""
    path = Path(path)
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for lineno, obj in _objects(path, limit):
        q = question_from_object(obj, path, lineno)
        if q.id in seen:
            raise FormatError(path, lineno, f"duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = lineno
        questions.append(q)
    return questions


def read_vignettes(path: str | Path, limit: int | None = None) -> list[Vignette]:
    """Vignettes in the schema of data/triage/README.md; unknown keys are ignored."""
    path = Path(path)
    vignettes: list[Vignette] = []
    seen: dict[str, int] = {}
    for lineno, obj in _objects(path, limit):
        vid = _text(obj, "id", path, lineno) or ""
        if vid in seen:
            raise FormatError(path, lineno, f"duplicate id {vid!r} (first on line {seen[vid]})")
        seen[vid] = lineno
        gold = _choice(obj, "gold", TRIAGE_GOLD, path, lineno)
        if gold is None:
            raise FormatError(path, lineno, "missing key 'gold'")
        vignettes.append(
            Vignette(
                id=vid,
                source=_text(obj, "source", path, lineno) or "",
                text=_text(obj, "text", path, lineno) or "",
                gold=gold,
                source_label=_text(obj, "source_label", path, lineno, required=False) or "",
                diagnosis=_text(obj, "diagnosis", path, lineno, required=False) or "",
            )
        )
    return vignettes


def _turns(obj: dict, path: Path, lineno: int) -> tuple[str, ...]:
    turns = obj.get("turns")
    if not isinstance(turns, list) or not turns:
        raise FormatError(path, lineno, "'turns' must be a non-empty list of patient messages")
    if not all(isinstance(t, str) and t.strip() for t in turns):
        raise FormatError(path, lineno, "every turn must be a non-empty string")
    return tuple(t.strip() for t in turns)


def read_conversations(path: str | Path, limit: int | None = None) -> list[Conversation]:
    """Conversations, one JSON object a line: {"id", "turns", "gold", "escalate_by"}."""
    path = Path(path)
    conversations: list[Conversation] = []
    seen: dict[str, int] = {}
    for lineno, obj in _objects(path, limit):
        cid = _text(obj, "id", path, lineno) or ""
        if cid in seen:
            raise FormatError(path, lineno, f"duplicate id {cid!r} (first on line {seen[cid]})")
        seen[cid] = lineno
        turns = _turns(obj, path, lineno)
        gold = _choice(obj, "gold", TRIAGE_GOLD, path, lineno)
        if gold is None:
            raise FormatError(path, lineno, "missing key 'gold'")
        by = obj.get("escalate_by", len(turns))
        if not isinstance(by, int) or isinstance(by, bool) or not 1 <= by <= len(turns):
            raise FormatError(
                path, lineno, f"'escalate_by' must be a turn number from 1 to {len(turns)}"
            )
        conversations.append(Conversation(
            id=cid, turns=turns, gold=gold, escalate_by=by,
            diagnosis=_text(obj, "diagnosis", path, lineno, required=False) or "",
        ))
    return conversations

"""The triage meaning layer: recognise the rule book's term groups by meaning, clause by clause.

Patients write "her face looks droopy" or "poo like tar", which no regular expression in
`red_flags.toml` anticipates. Each clause of the text is embedded with a fine-tuned MiniLM (a
LoRA adapter over the packaged, sha256-verified weights) and compared with a bank of labelled
phrasings (`sign_bank/*.jsonl`): a clause signals group g when its nearest bank neighbours are
positives of g above the group's similarity threshold and are not outvoted by hard negatives
(the same sign negated, in the past, a relative's, or a minor look-alike). The layer only adds
groups; `red_flags.evaluate(text, ctx, extra=groups)` still decides the level, so whatever a rule
catches still fires.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.triage.matching import normalise
from assistant.triage.red_flags import RuleBook, default_rulebook, find_terms

log = logging.getLogger(__name__)

MODEL_NAME = "medchat-triage-signs"
MODELS_DIR = Path(__file__).with_name("models")
BANK_DIR = Path(__file__).with_name("sign_bank")
SETTINGS_FILE = "signs.json"  # marks a sign-detector folder: base model, thresholds, neighbours
VECTORS_FILE = "bank.npz"
ADAPTER_FILE = "adapter_model.safetensors"
# Negative kinds that say "not now, not me" whatever the sign: they vote against every group.
CONTEXT_KINDS = frozenset({"negated", "past", "relative", "hypothetical"})


@dataclass(frozen=True)
class BankLine:
    """One labelled phrasing: `label` 1 signals `group`, 0 is a hard negative for it."""

    group: str
    text: str
    label: int
    kind: str


@dataclass(frozen=True)
class SignMatch:
    """A clause that signals `group`; `example` is its nearest bank phrasing (never logged)."""

    group: str
    clause: str
    score: float
    example: str


@dataclass(frozen=True)
class DetectorSettings:
    """What `signs.json` holds: the base weights and the decision rule chosen on held-out lines."""

    base: str = "all-MiniLM-L6-v2"
    max_length: int = 64
    neighbours: int = 5
    thresholds: tuple[tuple[str, float], ...] = (("emergency", 0.7), ("urgent", 0.7))

    def threshold(self, level: str) -> float:
        return dict(self.thresholds)[level]

    @classmethod
    def from_json(cls, data: dict) -> DetectorSettings:
        return cls(base=data["base"], max_length=data["max_length"],
                   neighbours=data["neighbours"],
                   thresholds=tuple(sorted(data["thresholds"].items())))

    def to_json(self) -> dict:
        return {"base": self.base, "max_length": self.max_length, "neighbours": self.neighbours,
                "thresholds": dict(self.thresholds)}


# --- the groups that matter -------------------------------------------------------------------


def signal_levels(book: RuleBook | None = None) -> dict[str, str]:
    """Group -> "emergency" or "urgent" for the groups emergency and urgent rules need.

    Groups that only feed routine or self-care rules, or that appear in an `unless`, are left
    out: adding them could lower a level instead of raising it.
    """
    book = book or default_rulebook()
    suppressors = {g for rule in book.rules for conj in rule.unless for g in conj}
    levels: dict[str, str] = {}
    for rule in book.rules:
        if rule.level not in ("emergency", "urgent"):
            continue
        for group in rule.all:
            if group not in suppressors and levels.get(group) != "emergency":
                levels[group] = rule.level
    return levels


# --- the bank ---------------------------------------------------------------------------------


def parse_bank_lines(lines: Iterable[str], where: str = "bank") -> list[BankLine]:
    """Records from JSONL text; a malformed line (a file still being written) is skipped."""
    records = []
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            records.append(BankLine(str(data["group"]), str(data["text"]).strip(),
                                    int(data["label"]), str(data.get("kind", ""))))
        except (ValueError, KeyError, TypeError):
            log.warning("sign bank: skipped malformed line %s:%d", where, number)
    return records


def read_bank(
    folder: Path = BANK_DIR, levels: dict[str, str] | None = None
) -> tuple[BankLine, ...]:
    """Every `*.jsonl` line in `folder` whose group the rule book's urgent or emergency rules
    use (others are ignored with a warning), de-duplicated, in a stable order."""
    levels = signal_levels() if levels is None else levels
    records = []
    for path in sorted(folder.glob("*.jsonl")):
        with open(path, encoding="utf-8") as fh:
            records += parse_bank_lines(fh, path.name)
    return select_lines(records, levels)


def select_lines(records: Sequence[BankLine], levels: dict[str, str]) -> tuple[BankLine, ...]:
    unknown = sorted({r.group for r in records} - set(levels))
    if unknown:
        log.warning("sign bank: ignoring %d groups no urgent or emergency rule uses: %s",
                    len(unknown), ", ".join(unknown))
    kept = {(r.group, r.text, r.label): r for r in records if r.group in levels and r.text}
    return tuple(kept[key] for key in sorted(kept))


def bank_fingerprint(lines: Sequence[BankLine]) -> str:
    digest = hashlib.sha256()
    for line in lines:
        digest.update(json.dumps([line.group, line.text, line.label, line.kind]).encode())
    return digest.hexdigest()[:16]


# --- text -------------------------------------------------------------------------------------

_BREAK = re.compile(
    r"(?<!\d)[.!?;](?!\d)|\n|\b(?:but|however|although|though|except|apart from|whereas)\b|"
    r"(?:,|\band\b|\bthen\b|\bplus\b)\s*(?=(?:i|he|she|they|we|you|my|his|her|their|our|it|"
    r"there|now|also)\b)"
)
MAX_CLAUSE_WORDS = 30


def split_clauses(text: str) -> tuple[str, ...]:
    """Sentences, cut again at contrasts ("but") and where a new subject starts (", and she");
    a clause still longer than MAX_CLAUSE_WORDS is cut at its commas."""
    clauses = []
    for piece in _BREAK.split(normalise(text)):
        piece = piece.strip(" ,-")
        if len(piece.split()) > MAX_CLAUSE_WORDS:
            clauses += [p.strip() for p in piece.split(",")]
        else:
            clauses.append(piece)
    return tuple(c for c in clauses if re.search(r"[a-z]", c))


# --- the decision -----------------------------------------------------------------------------


@dataclass(frozen=True)
class BankIndex:
    """The bank as arrays for voting: line group ids, positives, context negatives, thresholds."""

    lines: tuple[BankLine, ...]
    groups: tuple[str, ...]
    group_of: np.ndarray  # int, one per line
    positive: np.ndarray  # bool
    context: np.ndarray  # bool: a negative whose kind vetoes every group
    threshold: np.ndarray  # float, one per group

    @classmethod
    def build(cls, lines: Sequence[BankLine], levels: dict[str, str],
              settings: DetectorSettings) -> BankIndex:
        groups = tuple(sorted({line.group for line in lines}))
        number = {g: i for i, g in enumerate(groups)}
        return cls(
            lines=tuple(lines),
            groups=groups,
            group_of=np.array([number[line.group] for line in lines], dtype=np.int64),
            positive=np.array([line.label == 1 for line in lines], dtype=bool),
            context=np.array([line.label == 0 and line.kind in CONTEXT_KINDS for line in lines],
                             dtype=bool),
            threshold=np.array([settings.threshold(levels[g]) for g in groups], dtype=np.float32),
        )


def vote(
    similarities: np.ndarray, bank: BankIndex, neighbours: int, thresholds: np.ndarray
) -> list[tuple[str, float, int]]:
    """(group, score, nearest positive's line) for each group one clause signals.

    Among the clause's `neighbours` nearest bank lines, a group's positives must include one at
    or above its threshold (`thresholds`, one per `bank.groups`), and their summed similarity
    must beat that of the lines voting against it: the group's own hard negatives and any
    negated, past, relative's or hypothetical line.
    """
    k = min(neighbours, len(similarities))
    top = np.argpartition(-similarities, k - 1)[:k]
    top = top[np.argsort(-similarities[top])]
    found = []
    for g in dict.fromkeys(int(bank.group_of[i]) for i in top if bank.positive[i]):
        pos = [i for i in top if bank.positive[i] and bank.group_of[i] == g]
        against = [i for i in top if not bank.positive[i]
                   and (bank.group_of[i] == g or bank.context[i])]
        best = pos[0]
        if similarities[best] < thresholds[g]:
            continue
        if similarities[pos].sum() <= similarities[against].sum():
            continue
        found.append((bank.groups[g], float(similarities[best]), int(best)))
    return found


@dataclass(frozen=True)
class ClauseReading:
    """One clause, its similarity to each bank line, and the groups the rules set aside in it."""

    clause: str
    similarities: np.ndarray
    set_aside: frozenset[str]


def set_aside(clause: str) -> frozenset[str]:
    """Groups the rules read in the clause only as negated, past or someone else's: the layer
    agrees with them rather than adding those groups back."""
    findings = find_terms(clause)
    return frozenset(m.group for m in findings.mentions if m.excluded_by) - findings.present


# --- the detector -----------------------------------------------------------------------------


def resolve_folder(name: str) -> Path:
    """A shipped model name (under assistant/triage/models) or a folder path."""
    shipped = MODELS_DIR / name
    if "/" not in name and shipped.is_dir():
        return shipped
    folder = Path(name).expanduser()
    if not (folder / SETTINGS_FILE).is_file():
        raise FileNotFoundError(
            f"no sign detector at {name!r}: expected {SETTINGS_FILE} in the folder. Use the "
            f"shipped {MODEL_NAME!r} or train one with `medchat triage-signs train --out DIR`."
        )
    return folder


def adapter_digest(folder: Path) -> str:
    path = folder / ADAPTER_FILE
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.is_file() else "base"


class SignDetector:
    """Finds the term groups a patient's text signals by meaning (see the module docstring)."""

    def __init__(self, model, bank: BankIndex, vectors: np.ndarray,
                 settings: DetectorSettings) -> None:
        self.model = model  # a retrieval.embedder.Embedder with the adapter merged in
        self.bank = bank
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.settings = settings

    @classmethod
    def load(cls, name: str = MODEL_NAME, cache_dir: Path | None = None,
             bank_dir: Path = BANK_DIR) -> SignDetector:
        """The shipped detector (or a trained folder) over the current bank; bank vectors are
        read from the folder when their fingerprint matches, else computed and saved."""
        from retrieval.embedder import Embedder
        from retrieval.rerank import apply_adapter

        folder = resolve_folder(name)
        settings = DetectorSettings.from_json(json.loads((folder / SETTINGS_FILE).read_text()))
        levels = signal_levels()
        lines = read_bank(bank_dir, levels)
        if not lines:
            raise ValueError(f"the sign bank in {bank_dir} has no usable lines")
        embedder = Embedder(settings.base, "auto", cache_dir)
        embedder.model.max_seq_length = settings.max_length
        if (folder / ADAPTER_FILE).is_file():
            apply_adapter(embedder.model, folder)
        detector = cls(embedder, BankIndex.build(lines, levels, settings),
                       np.zeros((0, embedder.dim), dtype=np.float32), settings)
        key = f"{bank_fingerprint(lines)}-{adapter_digest(folder)}-{settings.max_length}"
        detector.vectors = load_or_embed(detector, folder, key, cache_dir)
        return detector

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.model.encode([normalise(t) for t in texts])

    def detect(self, text: str) -> tuple[SignMatch, ...]:
        """Every (clause, group) the text signals, in reading order."""
        return self.decide(self.read(text), self.settings.neighbours, self.bank.threshold)

    def read(self, text: str) -> tuple[ClauseReading, ...]:
        """Each clause of the text with its similarity to every bank line."""
        clauses = split_clauses(text)
        if not clauses:
            return ()
        sims = self.encode(clauses) @ self.vectors.T
        return tuple(ClauseReading(c, row, set_aside(c))
                     for c, row in zip(clauses, sims, strict=True))

    def decide(self, readings: Sequence[ClauseReading], neighbours: int,
               thresholds: np.ndarray) -> tuple[SignMatch, ...]:
        """The matches of read clauses under a decision rule (calibration tries several)."""
        return tuple(
            SignMatch(group, r.clause, score, self.bank.lines[line].text)
            for r in readings
            for group, score, line in vote(r.similarities, self.bank, neighbours, thresholds)
            if group not in r.set_aside
        )

    def groups(self, text: str) -> frozenset[str]:
        """The term groups to pass to `red_flags.evaluate(..., extra=...)`."""
        return frozenset(m.group for m in self.detect(text))


def load_or_embed(detector: SignDetector, folder: Path, key: str,
                  cache_dir: Path | None) -> np.ndarray:
    """Bank vectors (float16 on disk) for `key` (bank + adapter fingerprint): the model folder's
    copy, else a cached one, else computed now and saved to the first writable place."""
    from retrieval.weights import DEFAULT_CACHE

    places = [folder / VECTORS_FILE,
              (cache_dir or DEFAULT_CACHE) / f"{folder.name}-{VECTORS_FILE}"]
    for path in places:
        if path.is_file():
            with np.load(path) as stored:
                if str(stored["fingerprint"]) == key:
                    return stored["vectors"].astype(np.float32)
    log.info("sign bank: embedding %d lines (bank or adapter changed)", len(detector.bank.lines))
    vectors = detector.encode([line.text for line in detector.bank.lines])
    for path in places:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(path, vectors=vectors.astype(np.float16), fingerprint=np.array(key))
            break
        except OSError:
            continue
    return vectors

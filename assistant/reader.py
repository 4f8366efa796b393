"""The verdict reader: what the top-ranked study abstract concludes about the question.

A yes/no question gets yes / no / maybe; a trial question in Evidence Inference's shape ("how
does X compared with Y affect Z?") gets the direction of the effect. Each is a logistic
regression over TF-IDF words and word pairs of the evidence plus a few cue counts (negation,
null-result phrases, hedges, direction words in the question and in the evidence), fitted by
`medchat reader train` on the training side of the PubMedQA and Evidence Inference development
questions (whole topics held out; `assistant/reader_training.py`).

The evidence is a few sentences of one source, the top-ranked abstract (`Assistant` never
reads a consumer-health page for a verdict): for a yes/no question its
conclusions and results closest to the question (`evidence.findings`); for an effect, the
sentence a trained selector ranks first (`evidence.rank_findings`: trials report one outcome per
sentence and the conclusions name only the main one).

Why not the generator or a cross-encoder: the fine-tuned Gemma 270M's own yes/no (option
likelihoods) was right on 0.49 of held-out PubMedQA questions against a majority class of 0.51,
and a MiniLM cross-encoder fine-tuned on the same pairs on 0.52; this reader on 0.70 (model card:
`assistant/readers/medchat-verdict/README.md`).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.verdict import decide, is_sure

READERS_DIR = Path(__file__).resolve().parent / "readers"
SHIPPED = "medchat-verdict"
YES_NO = ("yes", "no", "maybe")
EFFECTS = ("significantly increased", "significantly decreased", "no significant difference")

_NEGATION = re.compile(
    r"\b(not|no|none|neither|nor|without|fail(s|ed)?|unable|lack(s|ed|ing)?|cannot|absence|"
    r"absent|insignificant|nonsignificant|non-significant)\b|n't", re.I)
_NULL_RESULT = re.compile(
    r"\b(no (statistically )?(significant|clear|major|meaningful)? ?(differences?|effects?|"
    r"associations?|benefits?|impact|correlations?|relationships?|improvements?|changes?)|"
    r"not (significantly|statistically)|did not (significantly )?(differ|improve|reduce|increase|"
    r"change|affect|alter|decrease)|(was|were|is|are) not (significantly )?(associated|related|"
    r"different|correlated)|similar|comparable|equivalent|independent(ly)? of)\b", re.I)
_HEDGE = re.compile(
    r"\b(may|might|could|possibly|possible|unclear|uncertain|further (studies|research|"
    r"investigation|trials)|remains? to be|inconclusive|warranted|controversial|needed|trend|"
    r"tended)\b", re.I)
_POSITIVE = re.compile(
    r"\b(significant(ly)?|effective|efficacious|improve[sd]?|associated with|predict(s|ed|ive|or)|"
    r"useful|safe|feasible|beneficial|superior|valuable|reliable|accurate)\b", re.I)
_UP = re.compile(
    r"\b(increase[sd]?|increasing|improve[sd]?|improving|improvement|higher|greater|more|"
    r"raise[sd]?|enhance[sd]?|elevated?|longer|prolong(s|ed)?|better|boost(s|ed)?|gain)\b", re.I)
_DOWN = re.compile(
    r"\b(reduce[sd]?|reducing|reduction|decrease[sd]?|decreasing|lower(s|ed)?|less|fewer|"
    r"shorter|shorten(s|ed)?|prevent(s|ed)?|declin(e|ed)|worse|diminish(es|ed)?|"
    r"attenuate[sd]?)\b", re.I)
CUES = ("evidence negations", "evidence negated", "question negated", "negation differs",
        "null results", "null result", "hedges", "positive findings", "question asks up",
        "question asks down", "evidence up words", "evidence down words", "directions agree",
        "directions clash")
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


_NEGATED = re.compile(r"\b(not|no|never|without|n't)\s+(\w+\s+){0,2}", re.I)


def cue_vector(question: str, evidence: str) -> np.ndarray:
    """The cue counts (capped) in CUES order: what a reader of a conclusion looks for first.
    Direction words count only where not negated: "did not reduce" is no reduction."""
    negations = len(_NEGATION.findall(evidence))
    asks_negated = bool(_NEGATION.search(question))
    nulls = len(_NULL_RESULT.findall(evidence))
    asks_up, asks_down = bool(_UP.search(question)), bool(_DOWN.search(question))
    stated = _NEGATED.sub(" ", _NULL_RESULT.sub(" ", evidence))
    up, down = len(_UP.findall(stated)), len(_DOWN.findall(stated))
    one_way_up, one_way_down = asks_up and not asks_down, asks_down and not asks_up
    agree = (one_way_up and up > down) or (one_way_down and down > up)
    clash = (one_way_up and down > up) or (one_way_down and up > down)
    return np.array([
        min(negations, 3), negations > 0, asks_negated, (negations > 0) != asks_negated,
        min(nulls, 2), nulls > 0, min(len(_HEDGE.findall(evidence)), 4),
        min(len(_POSITIVE.findall(evidence)), 4), asks_up, asks_down, min(up, 3), min(down, 3),
        agree, clash,
    ], dtype=np.float64)


def terms(text: str) -> list[str]:
    """Lower-cased words and adjacent word pairs, as scikit-learn's TfidfVectorizer(ngram_range=
    (1, 2)) forms them (the parity is tested)."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True)
class LinearReader:
    """One fitted logistic regression: cue counts then TF-IDF (sublinear tf, l2-normalised)."""

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray  # (classes, len(CUES) + vocabulary)
    intercept: np.ndarray
    cue_scale: float = 1.0  # cue counts are multiplied by this (their weight against TF-IDF)

    def features(self, question: str, evidence: str) -> np.ndarray:
        tfidf = np.zeros(len(self.vocabulary))
        for term, count in Counter(terms(evidence)).items():
            column = self.vocabulary.get(term)
            if column is not None:
                tfidf[column] = (1.0 + math.log(count)) * self.idf[column]
        norm = np.linalg.norm(tfidf)
        cues = self.cue_scale * cue_vector(question, evidence)
        return np.concatenate([cues, tfidf / norm if norm else tfidf])

    def probabilities(self, question: str, evidence: str) -> dict[str, float]:
        logits = self.coef @ self.features(question, evidence) + self.intercept
        if len(self.classes) == 2:  # scikit-learn's binary form: one row for the second class
            logits = np.array([0.0, float(logits[0])])
        exp = np.exp(logits - logits.max())
        return dict(zip(self.classes, (exp / exp.sum()).tolist(), strict=True))


@dataclass(frozen=True)
class Reading:
    """What the reader concluded from one source: the label it would state (None when no
    probability reaches the threshold: "unclear"), every label's probability and the text read."""

    label: str | None
    probabilities: dict[str, float]
    evidence: str
    source: int  # the number of the source read, as cited ([1] = 1)


class VerdictReader:
    """The shipped (or a trained) reader folder: `model.json` + `weights.npz`."""

    def __init__(self, path: str | Path = SHIPPED) -> None:
        folder = Path(path)
        if not folder.is_dir():
            folder = READERS_DIR / str(path)
        if not (folder / "model.json").is_file():
            raise FileNotFoundError(
                f"no verdict reader at {path!r}: use the shipped {SHIPPED!r}, a folder written "
                "by `medchat reader train`, or verdict_reader = \"\" to state no verdicts")
        self.path = folder
        self.info = json.loads((folder / "model.json").read_text())
        with np.load(folder / "weights.npz", allow_pickle=False) as arrays:
            scale = float(self.info.get("cue_scale", 1.0))
            self.yes_no = _linear(self.info["yes_no"]["classes"], arrays, "yes_no", scale)
            self.effect = _linear(self.info["effect"]["classes"], arrays, "effect", scale)
            self.selector = np.asarray(arrays["selector"], dtype=np.float64)
        self.yes_no_threshold = float(self.info["yes_no"]["threshold"])
        self.effect_threshold = float(self.info["effect"]["threshold"])

    def read_yes_no(self, question: str, evidence: str, source: int = 1) -> Reading:
        """yes / no stated when its probability reaches the threshold chosen on development data
        (a stated verdict must be right far more often than the majority class); else None."""
        probabilities = self.yes_no.probabilities(question, evidence)
        stated = decide(probabilities) if is_sure(probabilities, self.yes_no_threshold) else None
        return Reading(stated, probabilities, evidence, source)

    def read_effect(self, question: str, evidence: str, source: int = 1) -> Reading:
        probabilities = self.effect.probabilities(question, evidence)
        best = max(probabilities, key=probabilities.__getitem__)
        stated = best if probabilities[best] >= self.effect_threshold else None
        return Reading(stated, probabilities, evidence, source)


def _linear(classes: Sequence[str], arrays, prefix: str, cue_scale: float) -> LinearReader:
    vocabulary = [str(t) for t in arrays[f"{prefix}_vocabulary"]]
    return LinearReader(
        classes=tuple(classes),
        vocabulary={t: i for i, t in enumerate(vocabulary)},
        idf=np.asarray(arrays[f"{prefix}_idf"], dtype=np.float64),
        coef=np.asarray(arrays[f"{prefix}_coef"], dtype=np.float64),
        intercept=np.asarray(arrays[f"{prefix}_intercept"], dtype=np.float64),
        cue_scale=cue_scale,
    )

"""Whole-story urgency by meaning: how likely a story, read as a whole, needs emergency care.

The rules and the sign detector look for named signs; patients often describe an emergency
without any one sign a rule knows ("writhing, flank to groin, vomiting"). This model reads the
whole story: the sentence embedding of the text (all-mpnet-base-v2 for the shipped model; also
of windows of a long text) goes through a logistic regression trained on lay stories labelled
emergency / non-emergency / self-care (`assistant/triage/story_bank/`). The decision uses it
only to raise a level, or, with nothing of concern found anywhere, to accept self-care (see
`decision.py`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

CLASSES: tuple[str, ...] = ("emergency", "non-emergency", "self-care")
SHIPPED = "medchat-triage-urgency"
WINDOW_WORDS = 120  # well within the embedders' 256-384 word pieces; longer texts also in windows
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class UrgencyScores:
    """Probabilities of the three levels; `emergency` is the highest over the windows read."""

    emergency: float
    non_emergency: float
    self_care: float


@dataclass(frozen=True)
class Thresholds:
    """Chosen on development data (cross-validated training stories), recorded in model.json."""

    emergency: float = 0.5  # at or above: raise to emergency
    self_care: float = 0.6  # at or above, with nothing else of concern: self-care is acceptable
    keep_self_care: float = 0.2  # below: a rule's self-care is raised to a routine appointment


def windows(text: str, max_words: int = WINDOW_WORDS) -> list[str]:
    """The text itself, plus sentence-aligned windows of at most `max_words` when it is longer,
    so a danger revealed late in a long transcript is still read."""
    words = text.split()
    if len(words) <= max_words:
        return [text]
    out, current = [text], []
    for sentence in (s.strip() for s in _SENTENCE.split(text)):
        if not sentence:
            continue
        if current and len(" ".join(current + [sentence]).split()) > max_words:
            out.append(" ".join(current))
            current = current[-1:]  # one sentence of overlap keeps context across windows
        current.append(sentence)
    if current:
        out.append(" ".join(current))
    return out


def probabilities(vectors: np.ndarray, weights: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Softmax of the linear scores, one row per vector."""
    logits = vectors @ weights.T + bias
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def combine(rows: np.ndarray) -> UrgencyScores:
    """Emergency: the most alarming window; self-care: the least reassuring one."""
    return UrgencyScores(
        emergency=float(rows[:, 0].max()),
        non_emergency=float(rows[:, 1].max()),
        self_care=float(rows[:, 2].min()),
    )


def shipped_folder(name: str) -> Path | None:
    """The folder of a model shipped inside the package, if `name` is one."""
    folder = resources.files("assistant.triage").joinpath("models", name)
    return Path(str(folder)) if folder.joinpath("model.json").is_file() else None


class UrgencyModel:
    """Loads a trained urgency classifier (`model.json` + `classifier.npz`) and its embedder."""

    def __init__(self, folder: Path, embedder=None, cache_dir: Path | None = None) -> None:
        from retrieval.embedder import Embedder

        self.folder = folder
        self.info = json.loads((folder / "model.json").read_text())
        arrays = np.load(folder / "classifier.npz")
        self.weights, self.bias = arrays["weights"], arrays["bias"]
        self.thresholds = Thresholds(**self.info["thresholds"])
        self.embedder = embedder or Embedder(self.info["embedder"], "cpu", cache_dir)
        if self.weights.shape != (len(CLASSES), self.embedder.dim):
            raise ValueError(
                f"urgency model {folder} expects {self.weights.shape[1]}-d vectors; embedder "
                f"{self.info['embedder']!r} gives {self.embedder.dim}. Retrain it with "
                "`medchat triage-urgency train`."
            )

    @classmethod
    def load(cls, name: str = SHIPPED, cache_dir: Path | None = None) -> UrgencyModel:
        """A shipped model by name, or a folder written by `medchat triage-urgency train`."""
        folder = shipped_folder(name) or Path(name).expanduser()
        if not (folder / "model.json").is_file():
            raise FileNotFoundError(
                f"no urgency model at {name!r}: use {SHIPPED!r} or a folder written by "
                "`medchat triage-urgency train`"
            )
        return cls(folder, cache_dir=cache_dir)

    @property
    def min_words(self) -> int:
        """The shortest story it was trained on: below this a text is outside what it has read
        (a first message such as "really bad period pain"), and its opinion is not used."""
        return int(self.info.get("min_words", 0))

    def reads(self, text: str) -> bool:
        return len(text.split()) >= self.min_words

    def scores(self, text: str) -> UrgencyScores:
        rows = probabilities(self.embedder.encode(windows(text)), self.weights, self.bias)
        return combine(rows)

"""Train the whole-story urgency model: embed labelled lay stories, fit a logistic regression,
choose the decision thresholds by cross-validation, write the model folder with its card.

Stories are the vignette format (`{"id", "text", "gold"}` a line). The thresholds are chosen for
safety first: the emergency threshold keeps cross-validated emergency recall at `target_recall`,
and self-care is accepted only above a probability no cross-validated emergency reached.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from assistant.triage.urgency import CLASSES, Thresholds, probabilities

log = logging.getLogger(__name__)

BANK_DIR = Path(__file__).with_name("story_bank")


@dataclass(frozen=True)
class UrgencyTrainingSettings:
    embedder: str = "all-MiniLM-L6-v2"
    c_grid: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)  # inverse regularisation strengths tried
    folds: int = 5
    # cross-validated emergency recall the threshold must keep: the rules and the sign detector
    # catch most emergencies first, so this second net trades some recall for few false alarms
    target_recall: float = 0.75
    max_self_care_leak: float = 0.1  # non-self-care stories allowed above the self-care bar
    emergency_quantile: float = 0.98  # of emergencies' self-care probability: the bar's floor
    seed: int = 0


def read_stories(paths: list[Path]) -> list[dict]:
    """Labelled stories from JSONL files; a bad line names its file and line."""
    stories = []
    for path in paths:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text, gold = str(row["text"]).strip(), str(row["gold"]).strip()
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{lineno}: not a story record ({exc})") from None
            if gold not in CLASSES or not text:
                raise ValueError(f"{path}:{lineno}: gold must be one of {', '.join(CLASSES)}")
            stories.append({"text": text, "gold": gold})
    if not stories:
        raise ValueError("no stories to train on")
    return stories


def fingerprint(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def choose_thresholds(p: np.ndarray, y: np.ndarray, settings: UrgencyTrainingSettings
                      ) -> Thresholds:
    """Thresholds from cross-validated probabilities `p` (n x 3) and labels `y` (class index)."""
    emergency = np.sort(p[y == 0, 0])
    # the highest bar that still lets `target_recall` of emergencies through
    keep = int(np.floor((1 - settings.target_recall) * len(emergency)))
    t_emergency = float(emergency[keep]) if len(emergency) else 0.5
    # self-care only above nearly every emergency's self-care probability (the rest are stopped
    # by the rules, the sign detector and the decision's concerns) and most non-emergencies'
    others = p[y != 2, 2]
    leak = float(np.quantile(others, 1 - settings.max_self_care_leak)) if len(others) else 0.5
    worst = float(np.quantile(p[y == 0, 2], settings.emergency_quantile)) if (y == 0).any() else 0
    t_self_care = max(worst, leak)
    t_self_care = math.floor(t_self_care * 1e4) / 1e4 + 1e-4  # strictly above, after rounding
    # a rule's self-care is doubted below what nearly all true self-care stories reach
    t_keep = float(np.quantile(p[y == 2, 2], 0.05)) if (y == 2).any() else 0.2
    return Thresholds(emergency=math.floor(t_emergency * 1e4) / 1e4,
                      self_care=round(min(t_self_care, 0.99), 4),
                      keep_self_care=math.floor(t_keep * 1e4) / 1e4)


def figures(p: np.ndarray, y: np.ndarray, t: Thresholds) -> dict[str, float]:
    """What the thresholds do on the cross-validated predictions."""
    em = y == 0
    return {
        "cv_accuracy_argmax": float((p.argmax(1) == y).mean()),
        "cv_emergency_recall": float((p[em, 0] >= t.emergency).mean()),
        "cv_false_emergency_rate": float((p[~em, 0] >= t.emergency).mean()),
        "cv_self_care_accepted": float((p[y == 2, 2] >= t.self_care).mean()),
        "cv_non_self_care_accepted": float((p[y != 2, 2] >= t.self_care).mean()),
    }


def train(out: Path, paths: list[Path] | None = None,
          settings: UrgencyTrainingSettings = UrgencyTrainingSettings(),
          cache_dir: Path | None = None, embedder=None) -> dict:
    """Fit and write `out/` (classifier.npz, model.json, README.md); returns model.json."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from retrieval.embedder import Embedder

    paths = paths or sorted(BANK_DIR.glob("*.jsonl"))
    stories = read_stories(paths)
    embedder = embedder or Embedder(settings.embedder, "cpu", cache_dir)
    x = embedder.encode([s["text"] for s in stories])
    y = np.array([CLASSES.index(s["gold"]) for s in stories])
    folds = StratifiedKFold(min(settings.folds, int(np.bincount(y).min())), shuffle=True,
                            random_state=settings.seed)
    best = None
    for c in settings.c_grid:
        p = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=folds,
                              method="predict_proba")
        t = choose_thresholds(p, y, settings)
        f = figures(p, y, t)
        log.info("C=%s: %s", c, f)
        # the fewest false emergencies at the required recall, then the most self-care accepted
        key = (f["cv_false_emergency_rate"], -f["cv_self_care_accepted"])
        if best is None or key < best[0]:
            best = (key, c, t, f)
    _, c, thresholds, cv_figures = best
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    out.mkdir(parents=True, exist_ok=True)
    np.savez(out / "classifier.npz", weights=model.coef_.astype(np.float32),
             bias=model.intercept_.astype(np.float32))
    train_p = probabilities(x, model.coef_, model.intercept_)
    info = {
        "kind": "medchat-triage-urgency",
        "embedder": settings.embedder,
        "classes": list(CLASSES),
        "thresholds": asdict(thresholds),
        "C": c,
        "stories": len(stories),
        "per_class": {k: int((y == i).sum()) for i, k in enumerate(CLASSES)},
        "data": [p.name for p in paths],
        "data_fingerprint": fingerprint(paths),
        "settings": asdict(settings),
        "cross_validated": cv_figures,
        "train_accuracy": float((train_p.argmax(1) == y).mean()),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (out / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "README.md").write_text(model_card(info))
    return info


def model_card(info: dict) -> str:
    cv = info["cross_validated"]
    t = info["thresholds"]
    return f"""# {info['kind']}

Whole-story urgency for medchat's triage: a logistic regression over `{info['embedder']}`
story embeddings (the packaged, sha256-verified MiniLM), three classes
(emergency / non-emergency / self-care). Used by `assistant/triage/decision.py` only to
**raise** a level, or to accept self-care when nothing else of concern was found.

- Data: {info['stories']} stories written for training by helpers who saw neither the rules nor
  any test set ({', '.join(info['data'])}: lay stories typed as patients type, and
  clinical-style vignettes; {info['per_class']}), fingerprint `{info['data_fingerprint']}`.
- Fit: C = {info['C']} chosen by {info['settings']['folds']}-fold cross-validation.
- Thresholds (chosen on the cross-validated probabilities): emergency >= {t['emergency']},
  accept self-care >= {t['self_care']}, doubt a rule's self-care below {t['keep_self_care']}.
- Cross-validated: emergency recall {cv['cv_emergency_recall']:.3f}, false emergencies
  {cv['cv_false_emergency_rate']:.3f}, self-care accepted {cv['cv_self_care_accepted']:.3f},
  non-self-care accepted as self-care {cv['cv_non_self_care_accepted']:.3f}.
- Limits: trained on synthetic lay stories in English; it reads meaning, not facts (ages,
  durations, pregnancy come from the intake); long texts are read in windows of 120 words.
  Figures on never-seen stories are in docs/triage.md.
- Reproduce: `medchat triage-urgency train --out DIR` (seconds on a CPU).
- Base model licence: Apache-2.0 (all-MiniLM-L6-v2).
"""

"""Train the whole-story urgency model: embed labelled lay stories, fit a logistic regression,
choose the decision thresholds by cross-validation, write the model folder with its card.

Stories are the vignette format (`{"id", "text", "gold"}` a line). The thresholds are chosen for
safety first, on cross-validated probabilities read together with what the rules alone say about
each story (the model is a second net behind them): the emergency threshold is the highest that
keeps the whole triage's emergency recall at `pipeline_recall`; self-care is accepted only where
the decision allows it at all (an unconfident "no signal" routine with nothing of concern) and
only well above the self-care probability of any cross-validated emergency that reached that
gate.
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
    # mpnet over MiniLM: cross-validated on the story bank it separated the levels better
    # (accuracy 0.858 vs 0.794, emergency recall 0.90 vs 0.83; docs/triage.md)
    embedder: str = "all-mpnet-base-v2"
    c_grid: tuple[float, ...] = (1.0, 3.0, 10.0, 30.0)  # inverse regularisation strengths tried
    folds: int = 5
    # emergency recall the model must keep on its own (cross-validated), rules or not
    target_recall: float = 0.9
    max_self_care_leak: float = 0.1  # non-self-care stories allowed above the self-care bar
    emergency_quantile: float = 0.98  # of emergencies' self-care probability: the bar's floor
    # with the rules' view: cross-validated emergency recall of rules + model together
    pipeline_recall: float = 0.96
    self_care_floor: float = 0.5  # never accept self-care below this probability
    self_care_margin: float = 0.2  # above the most self-care-like emergency at the gate
    seed: int = 0


@dataclass(frozen=True)
class RuleView:
    """What the triage says about a story without the urgency model: whether the rules already
    call it an emergency, and whether the model's self-care acceptance could apply to it."""

    emergency: bool
    may_accept_self_care: bool


def rule_views(texts: list[str]) -> list[RuleView]:
    """The rules' view of each story, as `decision.assess` would see it with no urgency model."""
    from assistant.triage.decision import assess, may_accept_self_care
    from assistant.triage.intake import state_from_text

    views = []
    for text in texts:
        result = assess(text)
        views.append(RuleView(result.level == "emergency",
                              may_accept_self_care(result, state_from_text(text), text)))
    return views


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


def choose_thresholds(p: np.ndarray, y: np.ndarray, settings: UrgencyTrainingSettings,
                      views: list[RuleView] | None = None) -> Thresholds:
    """Thresholds from cross-validated probabilities `p` (n x 3) and labels `y` (class index);
    with `views` (the rules' view of each story), for the whole triage rather than the model."""
    if views is not None and (y == 0).any():
        return _pipeline_thresholds(p, y, settings, views)
    # the highest bar that still lets `target_recall` of emergencies through
    t_emergency = _recall_bar(p[y == 0, 0], settings.target_recall) if (y == 0).any() else 0.5
    # self-care only above nearly every emergency's self-care probability (the rest are stopped
    # by the rules, the sign detector and the decision's concerns) and most non-emergencies'
    others = p[y != 2, 2]
    leak = float(np.quantile(others, 1 - settings.max_self_care_leak)) if len(others) else 0.5
    worst = _emergency_self_care(p, y, settings) if (y == 0).any() else 0
    t_self_care = max(worst, leak)
    t_self_care = math.floor(t_self_care * 1e4) / 1e4 + 1e-4  # strictly above, after rounding
    return Thresholds(emergency=math.floor(t_emergency * 1e4) / 1e4,
                      self_care=round(min(t_self_care, 0.99), 4),
                      keep_self_care=_keep_bar(p, y))


def _recall_bar(emergency_p: np.ndarray, recall: float) -> float:
    """The highest emergency probability bar that `recall` of these emergencies reach."""
    ordered = np.sort(emergency_p)
    keep = int(np.floor((1 - recall) * len(ordered)))
    return float(ordered[keep]) if keep < len(ordered) else 1.0


def _emergency_self_care(p: np.ndarray, y: np.ndarray, settings: UrgencyTrainingSettings
                         ) -> float:
    """The self-care reading that all but the top `emergency_quantile` of emergencies stay under."""
    return float(np.quantile(p[y == 0, 2], settings.emergency_quantile))


def _keep_bar(p: np.ndarray, y: np.ndarray) -> float:
    """A rule's self-care is doubted below what nearly all true self-care stories reach."""
    t_keep = float(np.quantile(p[y == 2, 2], 0.05)) if (y == 2).any() else 0.2
    return math.floor(t_keep * 1e4) / 1e4


def _pipeline_thresholds(p: np.ndarray, y: np.ndarray, settings: UrgencyTrainingSettings,
                         views: list[RuleView]) -> Thresholds:
    """The highest emergency bar at which rules + model still reach `pipeline_recall` of the
    emergencies, and at which the model alone keeps `target_recall`; the self-care bar above
    every emergency the acceptance gate lets through and nearly every emergency's reading."""
    em = y == 0
    by_rules = np.array([v.emergency for v in views])
    gate = np.array([v.may_accept_self_care for v in views])
    candidates = sorted(set(np.round(p[em & ~by_rules, 0], 4)) | {1.0}, reverse=True)
    t_emergency = 0.5
    for t in candidates:  # descending: the first bar that keeps the recall is the highest
        if (by_rules[em] | (p[em, 0] >= t)).mean() >= settings.pipeline_recall:
            t_emergency = float(t)
            break
    # The rules were partly written from these same stories, so in them the rules catch more
    # than they will in text nobody has read: the model alone must still keep `target_recall`
    # of the emergencies, and self-care stays above nearly every emergency's self-care reading.
    t_emergency = min(t_emergency, _recall_bar(p[em, 0], settings.target_recall))
    at_gate = p[em & gate, 2]
    worst = float(at_gate.max()) if len(at_gate) else 0.0
    t_self_care = max(settings.self_care_floor, worst + settings.self_care_margin,
                      _emergency_self_care(p, y, settings))
    return Thresholds(emergency=math.floor(t_emergency * 1e4) / 1e4,
                      self_care=round(min(t_self_care, 0.99), 4),
                      keep_self_care=_keep_bar(p, y))


def pipeline_figures(p: np.ndarray, y: np.ndarray, t: Thresholds, texts: list[str]
                     ) -> dict[str, float]:
    """The whole triage (rules + this model at thresholds `t`) on cross-validated probabilities,
    3-level, as `decision.assess` decides it."""
    from assistant.triage.decision import assess
    from assistant.triage.urgency import UrgencyScores

    class Fixed:  # the cross-validated probabilities of one story, as an urgency model
        def __init__(self, row: np.ndarray) -> None:
            self.row, self.thresholds = row, t

        def scores(self, _text: str) -> UrgencyScores:
            return UrgencyScores(*(float(v) for v in self.row))

    three = {"emergency": 0, "urgent": 1, "routine": 1, "self-care": 2}
    pred = np.array([three[assess(text, urgency=Fixed(row)).level]
                     for text, row in zip(texts, p, strict=True)])
    return {
        "cv_pipeline_accuracy": float((pred == y).mean()),
        "cv_pipeline_emergency_recall": float((pred[y == 0] == 0).mean()),
        "cv_pipeline_self_care_over_triage": float((pred[y == 2] != 2).mean()),
        "cv_pipeline_emergencies_to_self_care": int((pred[y == 0] == 2).sum()),
    }


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
    texts = [s["text"] for s in stories]
    views = rule_views(texts)
    folds = StratifiedKFold(min(settings.folds, int(np.bincount(y).min())), shuffle=True,
                            random_state=settings.seed)
    best = None
    for c in settings.c_grid:
        p = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=folds,
                              method="predict_proba")
        t = choose_thresholds(p, y, settings, views)
        f = {**figures(p, y, t), **pipeline_figures(p, y, t, texts)}
        log.info("C=%s: %s", c, f)
        # the most accurate whole triage at the required recall, then the least over-triage
        key = (-f["cv_pipeline_accuracy"], f["cv_pipeline_self_care_over_triage"])
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
        "min_words": min(len(t.split()) for t in texts),  # shorter texts are not read
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
story embeddings (packaged weights, sha256-verified before loading), three classes
(emergency / non-emergency / self-care). Used by `assistant/triage/decision.py` only to
**raise** a level, or to accept self-care when nothing else of concern was found.

- Data: {info['stories']} stories written for training by helpers who saw neither the rules nor
  any test set ({', '.join(info['data'])}: lay stories typed as patients type, and
  clinical-style vignettes; {info['per_class']}), fingerprint `{info['data_fingerprint']}`.
- Fit: C = {info['C']} chosen by {info['settings']['folds']}-fold cross-validation.
- Thresholds (chosen on the cross-validated probabilities): emergency >= {t['emergency']},
  accept self-care >= {t['self_care']}, doubt a rule's self-care below {t['keep_self_care']}.
- Cross-validated, the model alone: emergency recall {cv['cv_emergency_recall']:.3f}, false
  emergencies {cv['cv_false_emergency_rate']:.3f}, self-care accepted
  {cv['cv_self_care_accepted']:.3f}, non-self-care accepted as self-care
  {cv['cv_non_self_care_accepted']:.3f}.
- Cross-validated, the whole triage (rules, screens, safe defaults and this model, 3 levels;
  optimistic: rules were partly written from these same stories):
  accuracy {cv['cv_pipeline_accuracy']:.3f}, emergency recall
  {cv['cv_pipeline_emergency_recall']:.3f}, self-care over-triage
  {cv['cv_pipeline_self_care_over_triage']:.3f}, emergencies to self-care
  {cv['cv_pipeline_emergencies_to_self_care']}.
- Thresholds are chosen for the whole triage: the emergency bar is the highest at which rules
  and model together keep {info['settings']['pipeline_recall']} of the cross-validated
  emergencies and the model alone keeps {info['settings']['target_recall']} (rules written from
  these stories catch more of them than of new text); self-care is accepted only where the
  decision allows it (an unconfident "no signal" routine with nothing of concern), at least
  {info['settings']['self_care_margin']} above any cross-validated emergency that reached that
  gate and above {info['settings']['emergency_quantile']} of all emergencies' self-care
  readings (never below {info['settings']['self_care_floor']}).
- Texts shorter than the shortest training story ({info.get('min_words', 0)} words) are not
  read: a first message of a few words is left to the rules and the next turns.
- Limits: trained on synthetic lay stories in English; it reads meaning, not facts (ages,
  durations, pregnancy come from the intake); long texts are read in windows of 120 words.
  Figures on never-seen stories are in docs/triage.md.
- Reproduce: `medchat triage-urgency train --out DIR` (a few minutes on a CPU: every story is
  also triaged by the rules to choose the thresholds).
- Base model licence: Apache-2.0 ({info['embedder']}).
"""

"""Which triage layer made each wrong answer: per-layer attribution on development data.

Dev batch A (`evals/data/triage/heldout/stories_dev.jsonl`) is triaged with the shipped urgency
model; the story bank is triaged out of fold (each fold's urgency model is trained, and its
thresholds chosen, on the other folds only, as `medchat triage-urgency train` does). For every
wrong answer the layer that set the final level is named: a rule (and its term groups), a
screen, a safe default (dangerous family, baby, high-risk context, sudden severe onset), the
crisis check, or the urgency model (with its probabilities). Only ids, rule and group names are
printed unless `--show-text` is given (for the developer's terminal, never for logs).

    .venv/bin/python benchmarks/triage_errors.py [--bank] [--dev] [--show-text]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEV_STORIES = ROOT / "evals/data/triage/heldout/stories_dev.jsonl"
VIGNETTES = ROOT / "evals/data/triage/vignettes_dev.jsonl"
BANK = ROOT / "assistant/triage/story_bank"
CACHE = Path(os.environ.get("TRIAGE_VECTOR_CACHE", "/tmp/medchat_triage_vectors.npz"))
THREE = {"emergency": "emergency", "urgent": "non-emergency", "routine": "non-emergency",
         "self-care": "self-care"}
ORDER = {"self-care": 0, "non-emergency": 1, "emergency": 2}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def bank_stories(parts: list[str] | None = None) -> list[dict]:
    paths = sorted(BANK.glob("*.jsonl"))
    return [s for p in paths if parts is None or p.stem in parts for s in read_jsonl(p)]


class CachedEmbedder:
    """The urgency model's embedder with a text -> vector cache on disk (re-runs skip it)."""

    def __init__(self, name: str) -> None:
        from retrieval.embedder import Embedder

        self.inner = Embedder(name, "cpu")
        self.dim = self.inner.dim
        self.cache = CACHE.with_name(f"{CACHE.stem}-{name.replace('/', '_')}.npz")
        self.store: dict[str, np.ndarray] = {}
        if self.cache.is_file():
            data = np.load(self.cache)
            self.store = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
        self.dirty = False

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode()).hexdigest()

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if self.key(t) not in self.store))
        if missing:
            for t, v in zip(missing, self.inner.encode(missing), strict=True):
                self.store[self.key(t)] = v
            self.dirty = True
        return np.stack([self.store[self.key(t)] for t in texts]) if texts else \
            np.zeros((0, self.dim), np.float32)

    def save(self) -> None:
        if self.dirty:
            keys = list(self.store)
            np.savez(self.cache, keys=np.array(keys),
                     vectors=np.stack([self.store[k] for k in keys]))
            self.dirty = False


@dataclass(frozen=True)
class Attribution:
    id: str
    gold: str
    predicted: str
    level: str
    cause: str  # the layer that set the final level
    detail: str  # rule ids and groups, families, probabilities
    probs: tuple[float, float, float] | None


def attribute(story: dict, urgency) -> Attribution:
    """Triage one story and name the layer that set its final level."""
    from assistant.triage.decision import (
        NO_SIGNAL_REASON,
        _baby,
        _self_care_concerns,
        answer_hits,
        assess,
        context_for,
        decide_from_rules,
    )
    from assistant.triage.intake import state_from_text
    from assistant.triage.protocols import dangerous_uncovered
    from assistant.triage.red_flags import default_rulebook, evaluate

    text = story["text"]
    state = state_from_text(text)
    ctx = context_for(state)
    plain = evaluate(text, ctx)
    plain += [h for h in answer_hits(state, ctx) if h.rule_id not in {p.rule_id for p in plain}]
    base = decide_from_rules(plain, state, text)
    final = assess(text, urgency=urgency)
    scores = urgency.scores(text) if urgency is not None else None
    probs = None if scores is None else (scores.emergency, scores.non_emergency, scores.self_care)
    rules = {r.id: r for r in default_rulebook().rules}
    at_level = [h for h in plain if h.level == final.level]
    if "whole_story_emergency" in final.red_flags:
        cause, detail = "story:emergency", f"rules said {base.level}"
    elif final.crisis and base.level != "emergency":
        cause, detail = "crisis", ""
    elif "+story" in final.source and final.level == "routine" and base.level == "self-care":
        cause, detail = "story:doubt_self_care", ""
    elif "+story" in final.source and final.level == "self-care":
        cause, detail = "story:accept_self_care", ""
    elif at_level and base.confident:
        cause = "rule"
        detail = ";".join(f"{h.rule_id}[{'+'.join(rules[h.rule_id].all)}]"
                          if h.rule_id in rules else h.rule_id for h in at_level)
    elif not base.confident and NO_SIGNAL_REASON in base.reasons:
        why = []
        if scores is not None and scores.self_care < urgency.thresholds.self_care:
            why.append("p_self_care_low")
        if _self_care_concerns(state, text):
            why.append("concern")
        if _baby(state, text):
            why.append("baby")
        cause, detail = "default:no_signal_routine", ",".join(why)
    elif not base.confident:
        fams = [f.id for f in dangerous_uncovered(state.families, [h.rule_id for h in plain])]
        cause = "default:dangerous_family" if fams else "default:baby"
        detail = ",".join(fams) + (f" fired={','.join(h.rule_id for h in plain)}" if plain else "")
    else:
        concerns = _self_care_concerns(state, text)
        cause = "default:self_care_concern" if concerns else "other"
        detail = ";".join(r[:30] for _, r in concerns) + " fired=" + ",".join(
            h.rule_id for h in plain)
    return Attribution(story.get("id", "?"), story["gold"], THREE[final.level], final.level,
                       cause, detail, probs)


class FixedUrgency:
    """An urgency model from given weights over a (cached) embedder: for out-of-fold runs."""

    def __init__(self, embedder, weights, bias, thresholds) -> None:
        self.embedder, self.weights, self.bias, self.thresholds = (embedder, weights, bias,
                                                                   thresholds)

    def scores(self, text: str):
        from assistant.triage.urgency import combine, probabilities, windows

        return combine(probabilities(self.embedder.encode(windows(text)), self.weights,
                                     self.bias))


def fit_fold(x, y, c: float, settings, views):
    """Fit on one training split; thresholds from its own inner cross-validation, chosen for
    the whole triage as `medchat triage-urgency train` chooses them."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from assistant.triage.urgency_training import choose_thresholds

    inner = StratifiedKFold(settings.folds, shuffle=True, random_state=settings.seed)
    p = cross_val_predict(LogisticRegression(C=c, max_iter=5000), x, y, cv=inner,
                          method="predict_proba")
    model = LogisticRegression(C=c, max_iter=5000).fit(x, y)
    return model.coef_, model.intercept_, choose_thresholds(p, y, settings, views)


def out_of_fold(stories: list[dict], embedder, folds: int = 5, seed: int = 0
                ) -> list[Attribution]:
    """Triage every bank story with an urgency model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    from assistant.triage.urgency import CLASSES
    from assistant.triage.urgency_training import UrgencyTrainingSettings, rule_views

    info = json.loads((ROOT / "assistant/triage/models/medchat-triage-urgency/model.json")
                      .read_text())
    settings = UrgencyTrainingSettings(**{k: tuple(v) if isinstance(v, list) else v
                                          for k, v in info["settings"].items()})
    x = embedder.encode([s["text"] for s in stories])
    y = np.array([CLASSES.index(s["gold"]) for s in stories])
    views = rule_views([s["text"] for s in stories])
    out: list[Attribution | None] = [None] * len(stories)
    split = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in split.split(x, y):
        w, b, t = fit_fold(x[train_idx], y[train_idx], info["C"], settings,
                           [views[i] for i in train_idx])
        model = FixedUrgency(embedder, w, b, t)
        for i in test_idx:
            out[i] = attribute(stories[i], model)
    return [a for a in out if a is not None]


def shipped(embedder):
    from assistant.triage.urgency import UrgencyModel, shipped_folder

    return UrgencyModel(shipped_folder("medchat-triage-urgency"), embedder=embedder)


def summary(name: str, rows: list[Attribution]) -> dict:
    n = len(rows)
    right = sum(r.gold == r.predicted for r in rows)
    em = [r for r in rows if r.gold == "emergency"]
    sc = [r for r in rows if r.gold == "self-care"]
    figures = {
        "n": n, "accuracy": right / n,
        "emergency_sensitivity": sum(r.predicted == "emergency" for r in em) / max(len(em), 1),
        "self_care_over_triage": sum(r.predicted != "self-care" for r in sc) / max(len(sc), 1),
        "under_triage": sum(ORDER[r.predicted] < ORDER[r.gold] for r in rows) / n,
        "emergency_to_self_care": sum(r.predicted == "self-care" for r in em),
    }
    print(f"\n== {name}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                                      for k, v in figures.items()))
    kinds = Counter()
    for r in rows:
        if r.gold != r.predicted:
            kinds[(f"{r.gold}->{r.predicted}", r.cause)] += 1
    for (kind, cause), count in sorted(kinds.items()):
        print(f"  {kind:28s} {cause:28s} {count}")
    return figures


def details(rows: list[Attribution], texts: dict[str, str] | None) -> None:
    for r in rows:
        if r.gold == r.predicted:
            continue
        p = "" if r.probs is None else "p=({:.2f},{:.2f},{:.2f})".format(*r.probs)
        print(f"  {r.id:14s} {r.gold:>13s}->{r.level:9s} {r.cause:26s} {p} {r.detail}")
        if texts is not None:
            print(f"      {texts[r.id]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bank", action="store_true", help="out-of-fold on the story bank")
    parser.add_argument("--dev", action="store_true", help="dev batch A + dev vignettes")
    parser.add_argument("--details", action="store_true", help="one line per wrong answer")
    parser.add_argument("--show-text", action="store_true", help="print story texts too")
    parser.add_argument("--stories", nargs="*", default=[], type=Path,
                        help="also attribute these story files (development sets only: reading "
                             "a test set's errors spends it)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    info = json.loads((ROOT / "assistant/triage/models/medchat-triage-urgency/model.json")
                      .read_text())
    embedder = CachedEmbedder(info["embedder"])
    everything = not (args.bank or args.dev or args.stories)
    try:
        if args.dev or everything:
            model = shipped(embedder)
            for name, path in (("dev A stories", DEV_STORIES), ("dev vignettes", VIGNETTES)):
                stories = read_jsonl(path)
                rows = [attribute(s, model) for s in stories]
                summary(name, rows)
                if args.details:
                    details(rows, {s["id"]: s["text"] for s in stories} if args.show_text
                            else None)
        for path in args.stories:
            stories, model = read_jsonl(path), shipped(embedder)
            rows = [attribute(s, model) for s in stories]
            summary(path.name, rows)
            if args.details:
                details(rows, {s["id"]: s["text"] for s in stories} if args.show_text else None)
        if args.bank or everything:
            stories = bank_stories()
            for i, s in enumerate(stories):
                s.setdefault("id", f"bank-{i}")
            rows = out_of_fold(stories, embedder)
            summary(f"story bank out of fold ({len(stories)})", rows)
            if args.details:
                details(rows, {s["id"]: s["text"] for s in stories} if args.show_text else None)
    finally:
        embedder.save()


if __name__ == "__main__":
    main()

"""`medchat reader train`: fit the verdict reader (`assistant/reader.py`) on development data.

Three fits, all scikit-learn logistic regressions, over the training side of whole topics (the
gold document's title by a stable hash, as the generator and reranker split):
- yes/no: PubMedQA questions with the abstract's conclusion (its long answer) and with the
  findings the assistant would read at run time (`evidence.findings`), labelled yes/no/maybe;
- effect: Evidence Inference questions with their marked evidence sentences, three labels;
- selector: every finding sentence of those trials' abstracts, positive where it is one of the
  marked evidence sentences (what `evidence.rank_findings` reads first).
The threshold for stating yes/no is chosen on out-of-fold predictions of the training side: the
widest coverage whose stated verdicts are right at least TARGET_PRECISION of the time. Figures on
the held-out topics go into model.json and the model card.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.evidence import finding_sentences, findings, rank_findings, sentence_features
from assistant.reader import CUES, EFFECTS, YES_NO, VerdictReader, cue_vector
from corpus.chunking import chunk_document
from corpus.records import Document, Passage
from retrieval.rerank_training import is_held_out

TARGET_PRECISION = 0.75  # a stated yes/no must be right at least this often (out of fold)
MIN_COVERAGE = 0.10  # a threshold that states almost nothing is noise, not a choice
HELD_OUT_YES_NO = "held_out_yes_no.jsonl"  # the held-out topics' questions, for `medchat eval`
HELD_OUT_EFFECT = "held_out_effect.jsonl"
MATCH = 0.8  # share of a sentence's words a marked evidence sentence must hold to be it


@dataclass(frozen=True)
class ReaderTrainingSettings:
    holdout: float = 0.2  # share of topics kept out of training, for the report
    yes_no_c: float = 1.0  # inverse regularisation of the yes/no fit
    effect_c: float = 4.0
    yes_no_min_df: int = 3  # a term must occur in this many training texts
    effect_min_df: int = 2
    max_terms: int = 5000
    cue_scale: float = 3.0  # cue counts' weight against the l2-normalised TF-IDF part (3 chosen
    # over 1 on held-out topics: same accuracy, stated verdicts right 0.79 vs 0.73)
    folds: int = 5  # for the out-of-fold threshold (lbfgs fits are deterministic: no seed)


@dataclass(frozen=True)
class Example:
    question: str
    evidence: str
    label: str
    topic: str


def read_jsonl(path: str | Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def write_jsonl(path: Path, records: Sequence[dict]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))


def documents_by_id(docs: Iterable[Document]) -> dict[str, list[Passage]]:
    """Passages of each document, keyed by doc id and PMID."""
    out: dict[str, list[Passage]] = {}
    for doc in docs:
        passages = chunk_document(doc)
        out[doc.doc_id] = passages
        if doc.pmid:
            out[doc.pmid] = passages
    return out


def _topic(passages: Sequence[Passage]) -> str:
    return passages[0].title if passages else ""


def yes_no_examples(records: Sequence[dict], docs: dict[str, list[Passage]], encode
                    ) -> tuple[list[Example], list[Example]]:
    """(with the conclusion, with the findings read at run time) per PubMedQA-shaped record
    (`question`, `decision`, `long_answer`, `pmid`) whose document is known."""
    gold, read = [], []
    usable = [r for r in records if str(r.get("pmid")) in docs and r.get("decision") in YES_NO]
    vectors = encode([r["question"] for r in usable]) if usable else []
    for record, vector in zip(usable, vectors, strict=True):
        passages = docs[str(record["pmid"])]
        topic = _topic(passages)
        gold.append(Example(record["question"], record["long_answer"], record["decision"], topic))
        text = " ".join(findings(vector, passages, encode))
        read.append(Example(record["question"], text, record["decision"], topic))
    return gold, read


def effect_records(records: Sequence[dict], docs: dict[str, list[Passage]]) -> list[dict]:
    return [r for r in records if r.get("label") in EFFECTS and r.get("evidence")
            and r.get("gold_pmids") and str(r["gold_pmids"][0]) in docs]


def _words(text: str) -> set[str]:
    return set(text.lower().split())


def is_marked(sentence: str, evidence: Sequence[str]) -> bool:
    words = _words(sentence)
    return any(len(words & _words(e)) / max(1, len(words)) >= MATCH for e in evidence)


def selector_rows(records: Sequence[dict], docs: dict[str, list[Passage]], encode
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Features and 0/1 targets of every finding sentence."""
    features, targets = [], []
    for record in records:
        sentences = finding_sentences(docs[str(record["gold_pmids"][0])])
        if not sentences:
            continue
        vector = encode([record["question"]])[0]
        features.append(sentence_features(record["question"], vector, sentences, encode))
        targets += [is_marked(s, record["evidence"]) for _, s in sentences]
    width = len(features[0][0]) if features else 0
    return (np.vstack(features) if features else np.zeros((0, width)),
            np.array(targets, dtype=int))


def fit_linear(examples: Sequence[Example], c: float, min_df: int, max_terms: int,
               cue_scale: float = 1.0):
    """(vectorizer, logistic regression) over cue counts + TF-IDF of the evidence."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True,
                                 max_features=max_terms)
    tfidf = vectorizer.fit_transform([e.evidence for e in examples])
    cues = csr_matrix(cue_scale * np.array([cue_vector(e.question, e.evidence)
                                            for e in examples]))
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(hstack([cues, tfidf]).tocsr(), [e.label for e in examples])
    return vectorizer, model


def require_labels(examples: Sequence[Example], labels: Sequence[str]) -> None:
    missing = set(labels) - {e.label for e in examples}
    if missing:
        raise ValueError(f"no training example labelled {sorted(missing)}: use more questions")


def linear_arrays(prefix: str, vectorizer, model) -> dict[str, np.ndarray]:
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
    return {
        f"{prefix}_vocabulary": np.array(vocabulary, dtype=str),
        f"{prefix}_idf": vectorizer.idf_.astype(np.float32),
        f"{prefix}_coef": model.coef_.astype(np.float32),
        f"{prefix}_intercept": model.intercept_.astype(np.float32),
    }


def stated_figures(gold: Sequence[str], probabilities: Sequence[dict[str, float]],
                   threshold: float, unsure: str | None = "maybe") -> dict[str, float]:
    """Coverage and precision of the labels stated plainly at `threshold` (never `unsure`), and
    for yes/no the three-way accuracy and macro-F1 when everything else is "maybe"."""
    said = [_stated(p, threshold, unsure) for p in probabilities]
    stated = [(g, s) for g, s in zip(gold, said, strict=True) if s is not None]
    figures = {
        "n": len(gold),
        "coverage": len(stated) / len(gold) if gold else 0.0,
        "stated_precision": (sum(g == s for g, s in stated) / len(stated)) if stated else 0.0,
    }
    if unsure == "maybe":
        figures.update(classification(gold, [s or "maybe" for s in said], YES_NO))
    return figures


def _stated(probabilities: dict[str, float], threshold: float, unsure: str | None) -> str | None:
    best = max(probabilities, key=probabilities.__getitem__)
    return best if best != unsure and probabilities[best] >= threshold else None


def classification(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
                   ) -> dict[str, float]:
    from sklearn.metrics import f1_score

    majority = Counter(gold).most_common(1)[0][0] if gold else ""
    return {
        "accuracy": float(np.mean([g == p for g, p in zip(gold, predicted, strict=True)])),
        "macro_f1": float(f1_score(gold, predicted, labels=list(labels), average="macro",
                                   zero_division=0)),
        "majority_accuracy": float(np.mean([g == majority for g in gold])),
        "majority_macro_f1": float(f1_score(gold, [majority] * len(gold), labels=list(labels),
                                            average="macro", zero_division=0)),
    }


def choose_threshold(gold: Sequence[str], probabilities: Sequence[dict[str, float]],
                     unsure: str | None = "maybe") -> float:
    """The lowest threshold (widest coverage) whose plainly stated labels reach
    TARGET_PRECISION; above 1 (never plainly) when none does."""
    for threshold in np.round(np.arange(0.34, 0.96, 0.01), 2):
        f = stated_figures(gold, probabilities, float(threshold), unsure)
        if f["coverage"] >= MIN_COVERAGE and f["stated_precision"] >= TARGET_PRECISION:
            return float(threshold)
    return 1.01


def out_of_fold(examples: Sequence[Example], fit: Callable, folds: int) -> list[dict[str, float]]:
    """Each example's probabilities from a fit on the other folds (folds by topic)."""
    out: list[dict[str, float] | None] = [None] * len(examples)
    fold = [int(hashlib.sha256(e.topic.lower().encode()).hexdigest(), 16) % folds
            for e in examples]
    for k in range(folds):
        reader = fit([e for e, f in zip(examples, fold, strict=True) if f != k])
        for i, e in enumerate(examples):
            if fold[i] == k:
                out[i] = reader.probabilities(e.question, e.evidence)
    return out  # type: ignore[return-value]


def _as_reader(vectorizer, model, cue_scale: float):
    from assistant.reader import LinearReader

    return LinearReader(
        classes=tuple(str(c) for c in model.classes_),
        vocabulary={t: int(i) for t, i in vectorizer.vocabulary_.items()},
        idf=vectorizer.idf_, coef=model.coef_, intercept=model.intercept_, cue_scale=cue_scale,
    )


def train(
    yes_no_records: Sequence[dict],
    effect_records_: Sequence[dict],
    docs: dict[str, list[Passage]],
    encode,
    out: Path,
    settings: ReaderTrainingSettings = ReaderTrainingSettings(),
    card: dict | None = None,
) -> dict:
    """Fit the three parts, write `model.json`, `weights.npz` and README.md to `out`; return
    model.json's content (with the held-out figures)."""
    from sklearn.linear_model import LogisticRegression

    s = settings
    held = lambda e: is_held_out(e.topic, s.holdout)  # noqa: E731
    gold_yn, read_yn = yes_no_examples(yes_no_records, docs, encode)
    train_yn = [e for e in gold_yn + read_yn if not held(e)]
    test_yn = [e for e in read_yn if held(e)]
    if not train_yn:
        raise ValueError("no yes/no training examples: the question files' documents must be "
                         "in the corpus")

    require_labels(train_yn, YES_NO)

    def fit_yes_no(examples):
        return _as_reader(*fit_linear(examples, s.yes_no_c, s.yes_no_min_df,
                                      s.max_terms, s.cue_scale), s.cue_scale)

    train_read = [e for e in read_yn if not held(e)]
    train_gold = [e for e in gold_yn if not held(e)]

    def fit_fold(part: list[Example]):  # with the conclusions of the same topics only
        topics = {e.topic for e in part}
        return fit_yes_no(part + [e for e in train_gold if e.topic in topics])

    oof = out_of_fold(train_read, fit_fold, s.folds)
    threshold = choose_threshold([e.label for e in train_read], oof)
    yn_vectorizer, yn_model = fit_linear(train_yn, s.yes_no_c, s.yes_no_min_df,
                                         s.max_terms, s.cue_scale)

    trials = effect_records(effect_records_, docs)
    topic = {id(r): _topic(docs[str(r["gold_pmids"][0])]) for r in trials}
    train_trials = [r for r in trials if not is_held_out(topic[id(r)], s.holdout)]
    test_trials = [r for r in trials if is_held_out(topic[id(r)], s.holdout)]
    if not train_trials:
        raise ValueError("no effect training examples: the question files' documents must be in "
                         "the corpus")
    train_fx = [Example(r["question"], " ".join(r["evidence"]), r["label"], topic[id(r)])
                for r in train_trials]
    require_labels(train_fx, EFFECTS)
    fx_vectorizer, fx_model = fit_linear(train_fx, s.effect_c, s.effect_min_df,
                                         s.max_terms, s.cue_scale)

    x, y = selector_rows(train_trials, docs, encode)
    selector = LogisticRegression(max_iter=2000, class_weight="balanced").fit(x, y)
    weights = np.append(selector.coef_[0], selector.intercept_[0])

    # the effect threshold: out of fold, reading the sentence the selector picks, as at run time
    selected = [Example(r["question"], " ".join(rank_findings(
        r["question"], encode([r["question"]])[0], docs[str(r["gold_pmids"][0])], encode,
        weights)[:1]), r["label"], topic[id(r)]) for r in train_trials]

    def fit_effect_fold(part: list[Example]):  # on the marked evidence of the same topics
        topics = {e.topic for e in part}
        return _as_reader(*fit_linear([e for e in train_fx if e.topic in topics], s.effect_c,
                                      s.effect_min_df, s.max_terms, s.cue_scale), s.cue_scale)

    effect_oof = out_of_fold(selected, fit_effect_fold, s.folds)
    effect_threshold = choose_threshold([e.label for e in selected], effect_oof, unsure=None)

    out.mkdir(parents=True, exist_ok=True)
    held_yes_no = {e.question for e in test_yn}
    write_jsonl(out / HELD_OUT_YES_NO, [r for r in yes_no_records
                                        if r.get("question") in held_yes_no])
    write_jsonl(out / HELD_OUT_EFFECT, test_trials)
    np.savez_compressed(out / "weights.npz", selector=weights.astype(np.float32),
                        **linear_arrays("yes_no", yn_vectorizer, yn_model),
                        **linear_arrays("effect", fx_vectorizer, fx_model))
    info = {
        "yes_no": {"classes": [str(c) for c in yn_model.classes_], "threshold": threshold},
        "effect": {"classes": [str(c) for c in fx_model.classes_],
                   "threshold": effect_threshold},
        "cues": list(CUES),
        "cue_scale": s.cue_scale,
        "settings": asdict(s),
        "target_precision": TARGET_PRECISION,
        "examples": {"yes_no_train": len(train_yn), "yes_no_held_out": len(test_yn),
                     "effect_train": len(train_fx), "effect_held_out": len(test_trials),
                     "selector_sentences": int(len(y)), "selector_positive": int(y.sum())},
        **(card or {}),
    }
    (out / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    reader = VerdictReader(out)
    info["held_out"] = held_out_figures(reader, test_yn, test_trials, docs, encode)
    info["out_of_fold_train"] = stated_figures([e.label for e in train_read], oof, threshold)
    info["out_of_fold_train_effect"] = stated_figures([e.label for e in selected], effect_oof,
                                                      effect_threshold, unsure=None)
    (out / "model.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "README.md").write_text(model_card(info))
    return info


def held_out_figures(reader: VerdictReader, yes_no: Sequence[Example], trials: Sequence[dict],
                     docs: dict[str, list[Passage]], encode) -> dict:
    """The shipped rule on held-out topics: yes/no from the findings read at run time; effect
    from the sentence the selector ranks first, and from the marked evidence (reading alone)."""
    figures: dict[str, dict] = {}
    if yes_no:
        gold = [e.label for e in yes_no]
        probabilities = [reader.yes_no.probabilities(e.question, e.evidence) for e in yes_no]
        figures["yes_no"] = stated_figures(gold, probabilities, reader.yes_no_threshold)
        figures["yes_no_argmax"] = classification(
            gold, [max(p, key=p.__getitem__) for p in probabilities], YES_NO)
    if trials:
        gold = [r["label"] for r in trials]
        read, marked, read_probabilities = [], [], []
        for r in trials:
            passages = docs[str(r["gold_pmids"][0])]
            ranked = rank_findings(r["question"], encode([r["question"]])[0], passages, encode,
                                   reader.selector)
            for texts, sink in (((ranked[:1]), read), ((r["evidence"]), marked)):
                p = reader.effect.probabilities(r["question"], " ".join(texts))
                sink.append(max(p, key=p.__getitem__))
                if sink is read:
                    read_probabilities.append(p)
        figures["selector_first_is_marked"] = selector_hits(reader, trials, docs, encode)
        figures["effect_selected"] = classification(gold, read, EFFECTS)
        figures["effect_stated"] = stated_figures(gold, read_probabilities,
                                                  reader.effect_threshold, unsure=None)
        figures["effect_marked_evidence"] = classification(gold, marked, EFFECTS)
        figures["effect_n"] = len(trials)
    return figures


def selector_hits(reader: VerdictReader, trials: Sequence[dict],
                  docs: dict[str, list[Passage]], encode) -> dict[str, float]:
    """How often the sentence ranked first is a marked evidence sentence (trials whose abstract
    holds one), by the selector and by similarity to the question alone."""
    selector, similarity, n = 0, 0, 0
    for r in trials:
        sentences = finding_sentences(docs[str(r["gold_pmids"][0])])
        marked = [is_marked(s, r["evidence"]) for _, s in sentences]
        if not any(marked):
            continue
        x = sentence_features(r["question"], encode([r["question"]])[0], sentences, encode)
        n += 1
        selector += marked[int(np.argmax(x @ reader.selector[:-1]))]
        similarity += marked[int(np.argmax(x[:, 0]))]
    return {"n": n, "selector": selector / n if n else 0.0,
            "similarity_only": similarity / n if n else 0.0}


def model_card(info: dict) -> str:
    h = info.get("held_out", {})
    rows = []
    for name, key in (("yes/no, most likely label (what answers and `choose` give)",
                       "yes_no_argmax"),
                      ("yes/no, plain verdicts only (leans and unclear = maybe)", "yes_no"),
                      ("effect, sentence the selector picks", "effect_selected"),
                      ("effect, the marked evidence sentences", "effect_marked_evidence")):
        f = h.get(key)
        if f:
            rows.append(f"| {name} | {f['accuracy']:.3f} | {f['macro_f1']:.3f} | "
                        f"{f['majority_accuracy']:.3f} | {f['majority_macro_f1']:.3f} |")
    yn = h.get("yes_no", {})
    sel = h.get("selector_first_is_marked", {})
    fx = h.get("effect_stated", {})
    return f"""# medchat-verdict: the verdict reader

Reads the top-ranked abstract's findings and says what they conclude: yes / no / maybe for a yes/no
question, the direction of a trial's effect for an intervention/comparator/outcome question.
Logistic regressions over TF-IDF words and word pairs plus {len(info['cues'])} cue counts
(negation, null results, hedges, direction words); a linear sentence selector for effects.
Code: `assistant/reader.py`; training: `assistant/reader_training.py`.

Reproduce: `medchat reader train --out DIR` (about two minutes on 2 CPU cores; deterministic).
The held-out questions are beside the weights ({HELD_OUT_YES_NO}, {HELD_OUT_EFFECT}): `medchat eval
qa --questions` either file measures the assistant end to end on topics training never saw.

## Data
PubMedQA expert-labelled development questions (`evals/data/pubmedqa/questions_trainval.jsonl`)
and Evidence Inference development questions (`evals/data/evidence_inference/questions_dev.jsonl`),
their abstracts from the built-in corpus. {info['settings']['holdout']:.0%} of topics (sha256 of
the gold title) held out: {info['examples']}.

## Held-out topics
| task | accuracy | macro-F1 | majority accuracy | majority macro-F1 |
|---|---|---|---|---|
{chr(10).join(rows)}

A yes/no verdict is stated when its probability reaches {info['yes_no']['threshold']:.2f}
(chosen out of fold on the training side for precision >= {info['target_precision']}): on the
held-out topics it stated one for {yn.get('coverage', 0):.0%} of questions, right
{yn.get('stated_precision', 0):.0%} of the time; the rest are leans ("Probably yes") or "unclear".

A trial effect is stated plainly when its probability reaches
{info['effect']['threshold']:.2f} (chosen the same way, reading the selector's sentence): on the
held-out topics {fx.get('coverage', 0):.0%} of them, right
{fx.get('stated_precision', 0):.0%} of the time; below it the answer
says "Probably ...".

The selector ranks a marked evidence sentence first for {sel.get('selector', 0):.0%} of the
{sel.get('n', 0)} held-out trials whose abstract holds one (similarity to the question alone:
{sel.get('similarity_only', 0):.0%}).

## Limits
Reads one source, the top-ranked; words, not meaning: a conclusion phrased unlike the training
abstracts can be misread, so the verdict names the source it was read from. English only.
The selector's similarity feature is the default embedder's (all-MiniLM-L6-v2) cosine.
"""

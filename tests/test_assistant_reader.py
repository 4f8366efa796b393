"""The verdict reader: what the top source concludes, read the same way in answers and choices."""

from __future__ import annotations

import json
from itertools import islice

import numpy as np
import pytest

from assistant import reader_training as rt
from assistant.evidence import findings, rank_findings
from assistant.reader import CUES, EFFECTS, LinearReader, VerdictReader, cue_vector, terms
from corpus import chunk_document, read_builtin
from corpus.records import Passage
from medchat_cli import READER_EFFECT, READER_YES_NO

OUTCOME_QUESTION = "In randomized trials, how does acupuncture compared with sham affect pain?"


@pytest.fixture(scope="module")
def reader():
    return VerdictReader()


def cue(question: str, evidence: str, name: str) -> float:
    return float(cue_vector(question, evidence)[CUES.index(name)])


def test_terms_are_the_words_and_word_pairs_scikit_learn_forms():
    from sklearn.feature_extraction.text import TfidfVectorizer

    text = "Metformin reduced HbA1c; it's 5.2% lower than placebo (p<0.01)."
    analyzer = TfidfVectorizer(ngram_range=(1, 2)).build_analyzer()
    assert sorted(terms(text)) == sorted(analyzer(text))


def test_the_tfidf_part_of_the_features_is_scikit_learns_transform():
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = ["No significant difference in pain was seen.", "Pain was lower with acupuncture.",
             "Acupuncture lowered pain scores more than sham did, and pain fell."]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts)
    width = len(CUES) + len(vectorizer.vocabulary_)
    linear = LinearReader(("a", "b"), dict(vectorizer.vocabulary_), vectorizer.idf_,
                          np.zeros((1, width)), np.zeros(1))
    ours = linear.features("q", texts[2])[len(CUES):]
    assert np.allclose(ours, vectorizer.transform([texts[2]]).toarray()[0])


def test_a_negated_direction_word_is_not_read_as_that_direction():
    question, evidence = "Does vitamin C prevent colds?", "Vitamin C did not reduce colds."
    assert cue(question, evidence, "evidence down words") == 0
    assert cue(question, evidence, "directions agree") == 0
    assert cue(question, evidence, "evidence negated") == 1


def test_a_null_result_is_counted_as_one():
    assert cue("q?", "There was no significant difference in mortality.", "null result") == 1
    assert cue("q?", "Mortality fell by a third.", "null result") == 0


def test_a_conclusion_finding_no_association_reads_no(reader):
    reading = reader.read_yes_no("Is obesity associated with poor asthma control in children?",
                                 "Obesity was not associated with asthma control (p=0.41).")
    assert max(reading.probabilities, key=reading.probabilities.get) == "no"


def test_a_significant_reduction_reads_yes_to_does_it_reduce(reader):
    reading = reader.read_yes_no("Does metformin reduce HbA1c in type 2 diabetes?",
                                 "Metformin significantly reduced HbA1c compared with placebo.")
    assert reading.label == "yes" and reading.probabilities["yes"] >= reader.yes_no_threshold


@pytest.mark.parametrize("evidence, label", [
    ("Pain scores were significantly lower with acupuncture than with sham (p<0.01).",
     "significantly decreased"),
    ("There was no significant difference in pain between the groups.",
     "no significant difference"),
])
def test_a_trial_sentence_gives_the_direction_of_the_effect(reader, evidence, label):
    reading = reader.read_effect(OUTCOME_QUESTION, evidence)
    assert max(reading.probabilities, key=reading.probabilities.get) == label
    assert set(reading.probabilities) == set(EFFECTS)
    assert sum(reading.probabilities.values()) == pytest.approx(1.0)


def test_a_missing_reader_says_what_to_use_instead(tmp_path):
    with pytest.raises(FileNotFoundError, match="medchat reader train"):
        VerdictReader(tmp_path / "nothing")


def test_the_shipped_reader_beats_the_majority_class_on_held_out_topics(reader):
    held = reader.info["held_out"]
    for task in ("yes_no_argmax", "effect_selected"):
        assert held[task]["accuracy"] > held[task]["majority_accuracy"] + 0.1
        assert held[task]["macro_f1"] > held[task]["majority_macro_f1"] + 0.2
    assert held["yes_no"]["stated_precision"] > held["yes_no"]["majority_accuracy"]


def abstract(*lines: str) -> list[Passage]:
    return [Passage("t1", 0, "Acupuncture trial\n" + "\n".join(lines), title="Acupuncture trial")]


def test_the_selector_reads_the_result_reporting_the_outcome_before_the_conclusion(
    reader, embedder
):
    passages = abstract(
        "RESULTS: Pain scores were lower with acupuncture than with sham at 8 weeks (p=0.01). "
        "Sleep quality did not differ between groups.",
        "CONCLUSIONS: Acupuncture is a reasonable option for patients with chronic back problems.")
    ranked = rank_findings(OUTCOME_QUESTION, embedder.encode([OUTCOME_QUESTION])[0], passages,
                           embedder.encode, reader.selector)
    assert ranked[0].startswith("Pain scores were lower")


def test_a_yes_no_verdict_is_read_from_conclusions_and_results_not_methods(embedder):
    passages = abstract(
        "METHODS: We randomised 120 adults with chronic back pain to two arms.",
        "RESULTS: Pain scores were lower with acupuncture than with sham (p=0.01).",
        "CONCLUSIONS: Acupuncture relieves chronic back pain better than sham needling.")
    question = "Does acupuncture relieve chronic back pain?"
    read = findings(embedder.encode([question])[0], passages, embedder.encode)
    assert read and not any("randomised" in s for s in read)


def test_choose_on_trial_labels_takes_the_readers_most_likely_direction(assistant):
    doc = next(d for d in read_builtin(sources=["evidence_inference"]) if len(d.sections) > 2)
    passages = chunk_document(doc)
    question = f"In randomized trials, how does the intervention compared with control affect " \
               f"{doc.title.split()[0].lower()}?"
    choice = assistant.choose(question, list(EFFECTS), passages)
    assert sum(choice.scores.values()) == pytest.approx(1.0)
    assert choice.label == max(EFFECTS, key=choice.scores.get)


def test_training_runs_end_to_end_on_a_few_questions(tmp_path, embedder):
    with open(READER_YES_NO[0]) as fh:
        yes_no = [json.loads(line) for line in islice(fh, 60)]
    with open(READER_EFFECT[0]) as fh:
        effect = [json.loads(line) for line in islice(fh, 60)]
    wanted = {r["pmid"] for r in yes_no} | {r["gold_pmids"][0] for r in effect}
    docs = rt.documents_by_id(d for d in read_builtin(sources=["pubmedqa", "evidence_inference"])
                              if d.pmid in wanted)
    info = rt.train(yes_no, effect, docs, embedder.encode, tmp_path,
                    rt.ReaderTrainingSettings(holdout=0.3, yes_no_min_df=1, effect_min_df=1))
    reader = VerdictReader(tmp_path)
    assert set(reader.yes_no.classes) == {"yes", "no", "maybe"}
    assert info["held_out"]["yes_no"]["n"] == info["examples"]["yes_no_held_out"] > 0
    assert (tmp_path / "README.md").read_text().startswith("# medchat-verdict")
    held = [json.loads(line) for line in (tmp_path / rt.HELD_OUT_YES_NO).open()]
    assert len(held) == info["examples"]["yes_no_held_out"]


def test_without_a_reader_answer_and_choose_still_agree_on_unclear(retriever, generator, settings):
    from assistant.assistant import Assistant

    assistant = Assistant(retriever, generator, settings.model_copy(update={"verdict_reader": ""}))
    question = "Do mitochondria play a role in remodelling lace plant leaves?"
    passages = [h.passage for h in assistant.sources(question)]
    assert assistant.verdict(question, passages) == ("unclear", None)
    assert assistant.choose(question, ["yes", "no", "maybe"], passages).label == "maybe"


def test_an_effect_question_opens_with_the_direction_choose_gives(assistant):
    doc = next(d for d in read_builtin(sources=["evidence_inference"]) if len(d.sections) > 2)
    passages = chunk_document(doc)
    question = "In randomized trials, how does the intervention compared with usual care affect " \
               "the primary outcome?"
    verdict, reading = assistant._verdict_for(question, passages)
    assert verdict in EFFECTS
    assert assistant.choose(question, list(EFFECTS), passages).label == verdict
    assert (reading.label is not None) == (reading.probabilities[verdict]
                                           >= assistant.reader.effect_threshold)


def test_a_verdict_is_read_from_the_top_abstract_never_a_consumer_health_page(assistant):
    from assistant.assistant import top_abstract

    page = Passage("medquad:1", 0, "Asthma\nAsthma is a chronic disease of the airways.",
                   title="Asthma")
    study = Passage("19615731", 0, "Obesity and asthma control\nCONCLUSIONS: We failed to find "
                    "an association between obesity and asthma control.", title="Obesity and "
                    "asthma control", pmid="19615731")
    assert top_abstract([page, study]) == 2 and top_abstract([page]) is None
    question = "Is obesity associated with poor asthma control in children?"
    assert assistant.read_yes_no(question, [page, study]).source == 2
    assert assistant.verdict(question, [page]) == ("unclear", None)

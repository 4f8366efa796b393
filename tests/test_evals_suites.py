"""Suites run against small fakes of the retriever, reader, answerer and triage assessor."""

from dataclasses import dataclass, field

import pytest

from assistant.relevance import GateModel
from corpus.records import Passage
from evals.context import RunContext
from evals.formats import Question, Vignette
from evals.suites import abstention, citations, qa, retrieval, triage, verdict


@dataclass
class FakeHit:
    passage: Passage
    score: float = 1.0


def passage(doc_id, text="", chunk=0):
    return Passage(doc_id=doc_id, chunk=chunk, text=text, pmid=doc_id if doc_id.isdigit() else "")


class FakeSearcher:
    """Answers each mode from a fixed table of doc-id rankings; counts the questions it saw."""

    def __init__(self, table):
        self.table = table
        self.asked = []

    def search_many(self, queries, k=None, mode=None):
        self.asked += [(mode, q) for q in queries]
        return [[FakeHit(passage(d)) for d in self.table[mode][q]][:k] for q in queries]


QUESTIONS = [Question("q1", "first?", ("1",)), Question("q2", "second?", ("2",))]
TABLE = {
    "hybrid": {"first?": ["1", "1", "3"], "second?": ["3", "2"]},
    "bm25": {"first?": ["3", "1"], "second?": ["2"]},
    "dense": {"first?": ["3", "4"], "second?": ["4", "3"]},
}


def ctx(tmp_path, **kw):
    return RunContext(out=tmp_path, progress=False, **kw)


def test_retrieval_reports_the_system_mode_at_the_top_and_baselines_beside(tmp_path):
    section = retrieval.run(QUESTIONS, FakeSearcher(TABLE), "hybrid", ctx(tmp_path), None)
    assert section["recall@1"] == 0.5 and section["recall@5"] == 1.0
    assert section["mrr@10"] == pytest.approx(0.75)
    assert section["baselines"]["bm25"]["recall@1"] == 0.5
    assert section["baselines"]["dense"]["recall@20"] == 0.0
    assert section["ratio_to_best_baseline"]["mrr@10"] == pytest.approx(1.0)
    assert section["ci"]["recall@1"][0] <= 0.5 <= section["ci"]["recall@1"][1]


def test_gold_ids_absent_from_the_corpus_are_counted_not_fatal(tmp_path):
    questions = [*QUESTIONS, Question("q3", "third?", ("999",))]
    aliases = {"1": "1", "2": "2", "3": "3", "4": "4"}
    section = retrieval.run(questions, FakeSearcher(TABLE), "hybrid", ctx(tmp_path), aliases)
    assert section["missing_gold_ids"] == 1
    assert section["unscorable_questions"] == 1
    assert section["n"] == 2


def test_gold_pmids_are_resolved_to_document_ids():
    check = retrieval.resolve_gold([Question("q", "?", ("123",))], {"123": "pubmed:123"})
    assert check.gold == {"q": ("pubmed:123",)}


def test_resume_skips_questions_already_answered(tmp_path):
    retrieval.run(QUESTIONS[:1], FakeSearcher(TABLE), "hybrid", ctx(tmp_path), None)
    searcher = FakeSearcher(TABLE)
    section = retrieval.run(QUESTIONS, searcher, "hybrid", ctx(tmp_path, resume=True), None)
    assert {q for _, q in searcher.asked} == {"second?"}
    assert section["n"] == 2


def test_without_resume_a_run_starts_over(tmp_path):
    retrieval.run(QUESTIONS, FakeSearcher(TABLE), "hybrid", ctx(tmp_path), None)
    searcher = FakeSearcher(TABLE)
    retrieval.run(QUESTIONS, searcher, "hybrid", ctx(tmp_path), None)
    assert len(searcher.asked) == 6


@dataclass
class FakeChoice:
    label: str
    scores: dict = field(default_factory=dict)


class FakeChooser:
    """Says "yes" to everything, or the first option when yes is not offered."""

    def choose(self, question, options, passages):
        return FakeChoice("yes" if "yes" in options else options[0], {o: 0.0 for o in options})


QA = [
    Question("a", "A?", ("1",), decision="yes"),
    Question("b", "B?", ("2",), decision="no"),
    Question("c", "C?", ("3",), label="significantly increased"),
    Question("d", "D?", ("4",)),
]


def test_qa_reports_pooled_and_per_task_accuracy(tmp_path):
    section = qa.run(QA, FakeChooser(), lambda q: [passage(q.gold_ids[0])], ctx(tmp_path), True)
    assert section["accuracy"] == pytest.approx(2 / 3)
    assert section["tasks"]["decision"]["accuracy"] == 0.5
    assert section["tasks"]["decision"]["confusion"] == [[1, 0, 0], [1, 0, 0], [0, 0, 0]]
    assert section["tasks"]["label"]["accuracy"] == 1.0
    assert section["skipped_without_decision_or_label"] == 1
    assert section["gold_in_passages"] == 1.0
    assert section["context"] == "gold"


def test_qa_counts_answers_whose_passages_miss_the_gold_document(tmp_path):
    section = qa.run(QA[:2], FakeChooser(), lambda q: [passage("7")], ctx(tmp_path), False)
    assert section["gold_in_passages"] == 0.0


def test_qa_majority_baseline(tmp_path):
    decisions = ["yes", "yes", "no"]
    questions = [Question(str(i), "?", ("1",), decision=d) for i, d in enumerate(decisions)]
    section = qa.run(questions, FakeChooser(), lambda q: [], ctx(tmp_path), False)
    assert section["baselines"]["majority"]["accuracy"] == pytest.approx(2 / 3)
    assert section["ratio_to_best_baseline"]["accuracy"] == pytest.approx(1.0)


@dataclass
class FakeCitation:
    number: int
    citation_id: str
    passage: Passage | None


@dataclass
class FakeAnswer:
    text: str
    citations: list
    passages: list
    abstained: bool = False
    extractive: bool = False


def test_check_answer_marks_support_and_validity():
    given = passage("11", "Metformin reduced HbA1c compared with placebo.")
    other = passage("99", "Unrelated.")
    answer = FakeAnswer(
        "Metformin reduced HbA1c [1]. Aspirin cures migraine [2]. Also [3].",
        [FakeCitation(1, "11", given), FakeCitation(2, "99", other)],
        [given],
    )
    record = citations.check_answer(answer)
    assert [s["supported"] for s in record["sentences"]] == [True, False, False]
    assert record["valid"] == [True, False, False]  # [2] was not given, [3] points at nothing


def test_the_verdict_line_is_not_judged_as_a_claim_but_its_marker_must_be_valid():
    given = passage("11", "Metformin reduced HbA1c compared with placebo.")
    answer = FakeAnswer("Probably yes, according to [1]; the evidence read is not conclusive. "
                        "Metformin reduced HbA1c [1].", [FakeCitation(1, "11", given)], [given])
    record = citations.check_answer(answer)
    assert [s["text"] for s in record["sentences"]] == ["Metformin reduced HbA1c [1]."]
    assert record["valid"] == [True, True]


def test_the_judge_rejects_an_invented_number_and_a_negation_flip():
    source = "Metformin did not reduce HbA1c by 12.5 % compared with placebo."
    assert citations.judge("Metformin did not reduce HbA1c by 12.5% [1].", [source])["supported"]
    invented = citations.judge("Metformin did not reduce HbA1c by 37% [1].", [source])
    flipped = citations.judge("Metformin reduced HbA1c by 12.5% [1].", [source])
    assert not invented["supported"] and not invented["numbers_ok"]
    assert not flipped["supported"] and not flipped["negation_ok"]


def test_the_judge_rejects_a_gene_the_cited_source_does_not_name():
    source = "Familial adenomatous polyposis results from mutations in the APC gene."
    assert citations.judge("Polyposis results from mutations in the APC gene [1].",
                           [source])["supported"]
    invented = citations.judge("Polyposis results from mutations in the NOP gene [1].", [source])
    assert not invented["supported"] and not invented["names_ok"]


def test_the_judge_flags_an_answer_that_says_yes_and_no():
    assert citations.contradictory(["Metformin reduced HbA1c [1].",
                                    "Metformin did not reduce HbA1c [1]."])
    assert not citations.contradictory(["Metformin reduced HbA1c [1].",
                                        "Metformin did not cause weight gain [1]."])


class FakeAnswerer:
    def __init__(self, answers):
        self.answers = answers

    def answer(self, question):
        return self.answers[question]


def test_citations_suite_pools_sentences_and_counts_abstentions(tmp_path):
    p = passage("11", "Metformin reduced HbA1c compared with placebo.")
    answers = {
        "A?": FakeAnswer("Metformin reduced HbA1c [1].", [FakeCitation(1, "11", p)], [p]),
        "B?": FakeAnswer("I cannot answer from the sources.", [], [p], abstained=True),
    }
    section = citations.run(QA[:2], FakeAnswerer(answers), ctx(tmp_path))
    assert section["citation_precision"] == 1.0
    assert section["citation_validity"] == 1.0
    assert section["abstention_rate"] == 0.5
    assert section["extractive_rate"] == 0.0
    assert section["citation_precision_generated"] == 1.0  # A's own sentence, no quotes


def side(dense, coverage=1.0, rerank=None):
    return {"dense": dense, "rerank": rerank, "coverage": coverage}


def gate_record(covered_dense, removed_dense, covered_coverage=1.0, removed_coverage=1.0):
    return {"covered": side(covered_dense, covered_coverage),
            "removed": side(removed_dense, removed_coverage)}


def test_abstention_precision_and_recall_count_removed_topics_against_answerable_ones():
    records = [gate_record(0.9, 0.3), gate_record(0.8, 0.7), gate_record(0.4, 0.2)]
    gate = GateModel(("dense",), (10.0,), -5.0, 0.5)  # abstain below a cosine of 0.5
    f = abstention.figures(records, gate)
    assert f["abstention_recall"] == pytest.approx(2 / 3)  # removed 0.3 and 0.2 refused
    assert f["false_abstention"] == pytest.approx(1 / 3)  # answerable 0.4 refused
    assert f["abstention_precision"] == pytest.approx(2 / 3)


def test_the_fitted_gate_refuses_at_most_one_answerable_question_in_ten():
    records = [gate_record(0.6 + i / 100, 0.5 + i / 100) for i in range(20)]
    gate = abstention.fit_gate([records], ("dense", "coverage"))
    assert abstention.figures(records, gate)["false_abstention"] <= 0.10


def test_key_term_coverage_catches_a_near_miss_similarity_cannot():
    records = [gate_record(0.7 + i / 1000, 0.7 + i / 1000, removed_coverage=0.4)
               for i in range(20)]
    gate = abstention.fit_gate([records], ("dense", "coverage"))
    assert abstention.figures(records, gate)["abstention_recall"] == 1.0


def test_no_file_of_questions_is_refused_wholesale_for_the_others():
    literal = [gate_record(0.8, 0.5, 1.0, 0.3) for _ in range(20)]  # worded as their documents
    paraphrased = [gate_record(0.75, 0.5, 0.4, 0.3) for _ in range(20)]  # few shared key terms
    gate = abstention.fit_gate([literal, paraphrased], ("dense", "coverage"))
    assert abstention.figures(paraphrased, gate)["false_abstention"] <= 0.10
    assert abstention.figures(literal, gate)["abstention_recall"] == 1.0


def test_report_only_files_are_never_fitted_on(tmp_path):
    tuned = [gate_record(0.8, 0.4) for _ in range(20)]
    reported = [gate_record(0.3, 0.2) for _ in range(10)]  # would drag the threshold down
    report = abstention.summarise({"dev.jsonl": tuned, "test.jsonl": reported}, {},
                                  report_only=["test.jsonl"])
    gate = report["without_reranker"]
    assert gate["fitted_on"] == 10  # the even half of dev.jsonl only
    assert gate["files"]["test.jsonl"]["n"] == 10 and gate["files"]["test.jsonl"]["report_only"]
    assert report["with_reranker"] == {"skipped": "no records carry these signals"}


def test_verdict_figures_count_plain_verdicts_apart_from_leans():
    records = ([{"gold": "yes", "label": "yes", "sure": True}] * 6
               + [{"gold": "no", "label": "yes", "sure": False}] * 2
               + [{"gold": "no", "label": "maybe", "sure": False}] * 2)
    f = verdict.figures(records)
    assert f["sure"]["coverage"] == 0.6 and f["sure"]["precision"] == 1.0
    assert f["yes_or_no"]["coverage"] == 0.8 and f["yes_or_no"]["precision"] == 0.75
    assert f["accuracy"] == 0.6 and f["majority_accuracy"] == 0.6
    assert f["said"] == {"yes": 8, "no": 0, "maybe": 2}


def test_a_precision_on_few_verdicts_has_a_wide_interval():
    assert verdict.wilson_low(3, 3) < 0.5 < verdict.wilson_low(300, 300)


@dataclass
class FakeTriage:
    level: str
    source: str = "rules"
    confident: bool = True
    red_flags: tuple = ()


def test_triage_maps_four_levels_and_reports_safety_rates(tmp_path):
    vignettes = [
        Vignette("1", "s", "crushing chest pain", "emergency"),
        Vignette("2", "s", "sore knee for a month", "non-emergency"),
        Vignette("3", "s", "mild cold", "self-care"),
    ]
    answers = {"crushing chest pain": "urgent", "sore knee for a month": "routine",
               "mild cold": "urgent"}
    section = triage.run(vignettes, lambda text: FakeTriage(answers[text]), ctx(tmp_path))
    assert section["accuracy"] == pytest.approx(1 / 3)
    assert section["emergency_sensitivity"] == 0.0
    assert section["under_triage_rate"] == pytest.approx(1 / 3)
    assert section["over_triage_rate"] == pytest.approx(1 / 3)
    assert section["confusion"] == [[0, 1, 0], [0, 1, 0], [0, 1, 0]]


def test_triage_never_shows_the_diagnosis_or_gold(tmp_path):
    seen = []
    vignette = Vignette("1", "s", "the story", "emergency", diagnosis="Stroke")
    triage.run([vignette], lambda text: seen.append(text) or FakeTriage("emergency"),
               ctx(tmp_path))
    assert seen == ["the story"]


class ScriptedSession:
    """An intake that answers each message with the next level of a fixed script."""

    def __init__(self, levels):
        self.levels = iter(levels)

    def reply(self, message):
        return type("Turn", (), {"result": FakeTriage(next(self.levels))})()


def test_conversations_score_the_final_level_and_timeliness(tmp_path):
    from evals.formats import Conversation

    conversations = [
        Conversation("late", ("hi", "headache", "i took all my pills"), "emergency", 3),
        Conversation("slow", ("chest pain", "sweaty", "ok"), "emergency", 2),
        Conversation("cold", ("runny nose", "3 days"), "self-care", 2),
    ]
    scripts = iter([["routine", "routine", "emergency"], ["urgent", "urgent", "emergency"],
                    ["routine", "self-care"]])
    section = triage.run_conversations(
        conversations, lambda: ScriptedSession(next(scripts)), ctx(tmp_path)
    )
    assert section["emergency_sensitivity"] == 1.0
    assert section["escalated_in_time"] == pytest.approx(2 / 3)
    assert section["emergency_escalated_in_time"] == 0.5
    assert section["late"] == ["slow"]
    assert section["accuracy"] == 1.0


def test_conversations_run_through_the_real_intake(tmp_path):
    from assistant.triage import IntakeSession
    from evals.formats import Conversation

    conversation = Conversation(
        "c1", ("I have chest pain", "I'm sweating and it spreads to my left arm"), "emergency", 2
    )
    section = triage.run_conversations([conversation], IntakeSession, ctx(tmp_path))
    assert section["escalated_in_time"] == 1.0
    assert section["confusion"][0] == [1, 0, 0]

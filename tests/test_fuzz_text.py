"""Property-based fuzzing of the text a user or a model types: the question check, the citation
parser and the triage rules' term matching.

None may crash on any text; the question check either refuses with a message or hands on text
free of control and invisible characters that the tokenizer accepts. Cases are derandomised (the
same every run) and counted; `pytest -s` prints the counts.
"""

from __future__ import annotations

import unicodedata
from collections import Counter

import pytest
from fuzzing import fuzz
from hypothesis import given
from hypothesis import strategies as st

from assistant.citations import cited_sentences, ground, split_answer, strip_markers
from assistant.triage.levels import LEVELS
from assistant.triage.red_flags import evaluate
from corpus.records import Passage
from retrieval.query import MAX_QUERY_CHARS, QueryError, check_query

CASES: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _print_counts():
    yield
    print(f"\nfuzz cases (text): {sum(CASES.values())} {dict(CASES)}")


# Any code point, lone surrogates (undecodable command-line bytes) and control characters
# included, plus runs long enough to pass the length limit.
any_char = st.characters(codec=None, categories=None) | st.characters(min_codepoint=0xD800,
                                                                       max_codepoint=0xDFFF)
any_text = (st.text(any_char, max_size=80)
            | st.text(st.sampled_from("\x00\x1b\u200b\u202e\ufeff\t\n a"), max_size=40)
            | st.integers(1990, 2100).map(lambda n: "why " * (n - 1500) + "?"))
QUESTION_WORDS = ["does", "metformin", "reduce", "risk", "in", "children", "with", "asthma",
                  "?", "é", "β-blocker", "[1]", "\u00ad"]


@fuzz(3000)
@given(any_text | st.lists(st.sampled_from(QUESTION_WORDS), max_size=30).map(" ".join))
def test_a_question_is_refused_with_a_message_or_handed_on_clean(text):
    CASES["question check"] += 1
    try:
        clean = check_query(text)
    except QueryError as exc:
        assert str(exc).startswith("the question is")
        return
    assert 0 < len(clean) <= MAX_QUERY_CHARS
    assert clean == " ".join(clean.split())
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in clean)
    assert check_query(clean) == clean


@fuzz(600)
@given(any_text)
def test_every_question_that_passes_the_check_is_accepted_by_the_tokenizer(embedder, text):
    CASES["question tokenizer"] += 1
    try:
        clean = check_query(text)
    except QueryError:
        return
    assert embedder.model.tokenizer(clean)["input_ids"]


# --- citations --------------------------------------------------------------------------------

markers = st.lists(st.text("0123456789", min_size=1, max_size=5000), min_size=1,
                   max_size=3).map(lambda ns: "[" + ", ".join(ns) + "]")
answer_parts = st.text(max_size=30) | markers | st.sampled_from(
    [". ", ".", "\n", "? ", "RESULTS: ", "not ", "no significant difference", "12.5%", '." ',
     "The evidence retrieved does not answer this."])
answers = st.lists(answer_parts, max_size=25).map("".join)


@fuzz(1500)
@given(answers)
def test_any_answer_text_splits_into_sentences_and_markers(text):
    CASES["citation parser"] += 1
    sentences = split_answer(text)
    assert all(s and s == s.strip() for s in sentences)
    for cited in cited_sentences(text):
        assert cited.numbers and all(n >= 0 for n in cited.numbers)
        strip_markers(cited.text)


SOURCE = Passage("d1", 0, "Metformin reduced the risk of diabetes by 31% in adults. "
                          "RESULTS: No significant difference in weight was found.", pmid="1")


@fuzz(800)
@given(answers, st.lists(st.text(max_size=120), max_size=2))
def test_grounding_any_answer_against_any_sources_never_fails(text, extra):
    CASES["citation grounding"] += 1
    passages = [SOURCE] + [Passage(f"x{i}", 0, t, pmid=str(i + 2)) for i, t in enumerate(extra)]
    grounded = ground(text, passages)
    assert all(c.passage in passages for c in grounded.citations)


# --- triage term matching -------------------------------------------------------------------

PATIENT_WORDS = ["I", "have", "no", "chest", "pain", "crushing", "sweating", "my", "dad", "had",
                 "a", "stroke", "10", "years", "ago", "but", "now", "can't", "breathe", "cant",
                 "fever", "rash", "that", "doesn't", "fade", ",", ".", "denies", "seizure",
                 "worst", "headache", "of", "life", "suicidal", "pregnant", "bleeding", "and"]
stories = (st.lists(st.sampled_from(PATIENT_WORDS) | st.text(max_size=8), max_size=40)
           .map(" ".join) | st.text(max_size=200))


@fuzz(1500)
@given(stories)
def test_triage_rules_read_any_text_and_name_known_levels(text):
    CASES["triage matching"] += 1
    hits = evaluate(text)
    assert all(h.level in LEVELS for h in hits)
    assert [LEVELS.index(h.level) for h in hits] == sorted(LEVELS.index(h.level) for h in hits)

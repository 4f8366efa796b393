"""Question and vignette files: what is accepted, and how a bad file is reported."""

import json

import pytest

from evals.formats import FormatError, read_questions, read_vignettes


def write(tmp_path, *lines, name="q.jsonl"):
    path = tmp_path / name
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    return path


def test_a_question_with_gold_pmids(tmp_path):
    path = write(tmp_path, {"id": "q1", "question": "Does X help?", "gold_pmids": ["123"],
                            "decision": "Yes"})
    [q] = read_questions(path)
    assert (q.id, q.gold_ids, q.decision, q.task) == ("q1", ("123",), "yes", "decision")
    assert q.options == ("yes", "no", "maybe")


def test_gold_ids_name_documents_without_a_pmid(tmp_path):
    path = write(tmp_path, {"id": "m1", "question": "What is X?", "gold_ids": ["medquad:A_1"]})
    [q] = read_questions(path)
    assert q.gold_ids == ("medquad:A_1",)
    assert q.task is None


def test_a_pubmedqa_record_counts_its_pmid_as_id_and_gold(tmp_path):
    path = write(tmp_path, {"pmid": "10811329", "question": "Is it useful?", "decision": "maybe",
                            "long_answer": "Perhaps.", "contexts": ["a", "b"]})
    [q] = read_questions(path)
    assert (q.id, q.gold_ids, q.ideal_answer, q.contexts) == (
        "10811329", ("10811329",), "Perhaps.", ("a", "b"))


def test_a_label_question_offers_the_three_effect_labels(tmp_path):
    path = write(tmp_path, {"id": "e1", "question": "How does A affect B?", "gold_pmids": ["1"],
                            "label": "no significant difference"})
    [q] = read_questions(path)
    assert q.task == "label"
    assert q.options == ("significantly increased", "significantly decreased",
                         "no significant difference")


def test_limit_takes_the_first_lines(tmp_path):
    path = write(tmp_path, *({"id": str(i), "question": "?"} for i in range(5)))
    assert [q.id for q in read_questions(path, limit=2)] == ["0", "1"]


def test_blank_lines_are_skipped(tmp_path):
    path = write(tmp_path, {"id": "a", "question": "?"}, "", {"id": "b", "question": "?"})
    assert len(read_questions(path)) == 2


def test_malformed_json_names_file_and_line(tmp_path):
    path = write(tmp_path, {"id": "a", "question": "?"}, '{"id": "b", "question":')
    with pytest.raises(FormatError, match=r"q\.jsonl:2: malformed JSON"):
        read_questions(path)


def test_a_missing_question_key_names_file_and_line(tmp_path):
    path = write(tmp_path, {"id": "a"})
    with pytest.raises(FormatError, match=r"q\.jsonl:1: missing key 'question'"):
        read_questions(path)


def test_a_question_without_id_or_pmid_is_rejected(tmp_path):
    with pytest.raises(FormatError, match="missing key 'id'"):
        read_questions(write(tmp_path, {"question": "?"}))


def test_an_unknown_decision_is_rejected(tmp_path):
    with pytest.raises(FormatError, match="'decision' must be one of yes, no, maybe"):
        read_questions(write(tmp_path, {"id": "a", "question": "?", "decision": "probably"}))


def test_duplicate_ids_are_rejected(tmp_path):
    path = write(tmp_path, {"id": "a", "question": "?"}, {"id": "a", "question": "!"})
    with pytest.raises(FormatError, match=r":2: duplicate id 'a' \(first on line 1\)"):
        read_questions(path)


def test_gold_pmids_must_be_a_list(tmp_path):
    with pytest.raises(FormatError, match="'gold_pmids' must be a list"):
        read_questions(write(tmp_path, {"id": "a", "question": "?", "gold_pmids": "123"}))


def test_a_missing_file_is_a_format_error(tmp_path):
    with pytest.raises(FormatError, match="file not found"):
        read_questions(tmp_path / "nope.jsonl")


def test_gzip_question_files_are_read(tmp_path):
    import gzip

    path = tmp_path / "q.jsonl.gz"
    with gzip.open(path, "wt") as fh:
        fh.write(json.dumps({"id": "a", "question": "?"}) + "\n")
    assert read_questions(path)[0].id == "a"


VIGNETTE = {"id": "v1", "source": "semigran2015", "text": "A 70-year-old man ...",
            "gold": "emergency", "source_label": "em", "diagnosis": "Stroke", "extra": 1}


def test_a_vignette_in_the_documented_schema(tmp_path):
    [v] = read_vignettes(write(tmp_path, VIGNETTE, name="v.jsonl"))
    assert (v.id, v.gold, v.diagnosis) == ("v1", "emergency", "Stroke")


def test_a_vignette_with_a_four_level_gold_is_rejected(tmp_path):
    path = write(tmp_path, {**VIGNETTE, "gold": "urgent"}, name="v.jsonl")
    with pytest.raises(FormatError, match=r"v\.jsonl:1: 'gold' must be one of"):
        read_vignettes(path)


def test_a_vignette_without_text_is_rejected(tmp_path):
    bad = {k: v for k, v in VIGNETTE.items() if k != "text"}
    with pytest.raises(FormatError, match="missing key 'text'"):
        read_vignettes(write(tmp_path, bad, name="v.jsonl"))


def test_the_shipped_files_read_cleanly():
    from evals.defaults import DATA_DIR

    for path in sorted(DATA_DIR.glob("*/questions*.jsonl")):
        assert read_questions(path, limit=50), path
    assert len(read_vignettes(DATA_DIR / "triage" / "vignettes_dev.jsonl")) == 15


def test_a_conversation_in_the_documented_schema(tmp_path):
    from evals.formats import read_conversations

    path = write(tmp_path, {"id": "c1", "turns": ["my head hurts", "worst ever"],
                            "gold": "emergency", "escalate_by": 2})
    [c] = read_conversations(path)
    assert (c.id, c.turns, c.gold, c.escalate_by) == ("c1", ("my head hurts", "worst ever"),
                                                      "emergency", 2)


def test_a_conversation_escalating_after_its_last_turn_is_rejected(tmp_path):
    from evals.formats import read_conversations

    path = write(tmp_path, {"id": "c1", "turns": ["a"], "gold": "emergency", "escalate_by": 2})
    with pytest.raises(FormatError, match=r"q.jsonl:1: 'escalate_by' must be a turn number"):
        read_conversations(path)


def test_a_conversation_without_turns_is_rejected(tmp_path):
    from evals.formats import read_conversations

    path = write(tmp_path, {"id": "c1", "turns": [], "gold": "self-care"})
    with pytest.raises(FormatError, match="'turns' must be a non-empty list"):
        read_conversations(path)

"""The English-only check: other scripts and other European languages are told so; English
questions, however technical or short, pass."""

import json

import pytest

from assistant.language import is_english

FOREIGN = [
    "¿La vitamina D previene las fracturas de cadera en mujeres?",
    "Quels sont les symptômes de la grippe ?",
    "Was ist die Ursache von Diabetes?",
    "维生素D能预防骨折吗？",
    "Витамин D предотвращает переломы?",
]
ENGLISH = ["Does vitamin D prevent fractures?", "HbA1c?", "Is de Quervain tenosynovitis inherited?",
           "Are 99mTc leukocyte scans useful in children suspected of having IBD?"]


@pytest.mark.parametrize("question", FOREIGN)
def test_a_question_in_another_language_is_not_english(question):
    assert not is_english(question)


@pytest.mark.parametrize("question", ENGLISH)
def test_short_and_technical_english_questions_are_english(question):
    assert is_english(question)


def test_no_development_question_is_refused(shared_data):
    with open(shared_data / "pubmedqa" / "questions_trainval.jsonl") as fh:
        questions = [json.loads(line)["question"] for line in fh]
    assert all(is_english(q) for q in questions)

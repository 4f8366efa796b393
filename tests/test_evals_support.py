"""The lexical rule that decides whether a cited passage supports a sentence."""

from evals.support import CitedSentence, cited_sentences, content_words, is_supported

PASSAGE = ("Metformin reduced HbA1c by 1.1% compared with placebo in adults with type 2 diabetes "
           "over 24 weeks.")


def test_content_words_drop_stop_words_markers_and_plural_s():
    assert content_words("The trials showed benefit [2].") == {"trial", "showed", "benefit"}


def test_a_sentence_restating_the_passage_is_supported():
    assert is_supported("Metformin lowered HbA1c compared with placebo [1].", [PASSAGE])


def test_a_sentence_about_something_else_is_not_supported():
    assert not is_supported("Aspirin prevents migraine attacks in children [1].", [PASSAGE])


def test_half_of_the_content_words_is_enough():
    # metformin, diabetes found; headache, nausea not: 2 of 4
    assert is_supported("Metformin diabetes headache nausea [1].", [PASSAGE])
    assert not is_supported("Metformin headache nausea vomiting [1].", [PASSAGE])


def test_several_cited_passages_support_a_sentence_together():
    sentence = "Metformin lowered HbA1c and statins lowered cholesterol [1, 2]."
    assert is_supported(sentence, [PASSAGE, "Statins lowered LDL cholesterol."])


def test_a_sentence_with_no_content_words_is_not_supported():
    assert not is_supported("It was so [1].", [PASSAGE])


def test_cited_sentences_finds_markers_and_skips_uncited_sentences():
    text = "Metformin helps [1]. It is cheap. Both drugs work [2, 3]. See [1][4]."
    assert cited_sentences(text) == [
        CitedSentence("Metformin helps [1].", (1,)),
        CitedSentence("Both drugs work [2, 3].", (2, 3)),
        CitedSentence("See [1][4].", (1, 4)),
    ]

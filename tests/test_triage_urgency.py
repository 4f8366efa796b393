"""The whole-story urgency model: reads a story's meaning, shipped and retrainable."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.triage.urgency import (
    CLASSES,
    UrgencyModel,
    combine,
    probabilities,
    windows,
)
from assistant.triage.urgency_training import (
    RuleView,
    UrgencyTrainingSettings,
    choose_thresholds,
    read_stories,
    train,
)


@pytest.fixture(scope="module")
def urgency(settings):
    from assistant.triage.urgency import shipped_folder

    return UrgencyModel(shipped_folder("medchat-triage-urgency"), cache_dir=settings.model_cache)


def test_a_short_text_is_read_whole():
    assert windows("my throat is sore") == ["my throat is sore"]


def test_a_long_transcript_is_also_read_in_windows_that_keep_its_end():
    text = " ".join(f"Sentence number {i} is about nothing much at all." for i in range(60))
    parts = windows(text + " I have saved up my pills to end it.", max_words=50)
    assert parts[0].startswith("Sentence number 0")
    assert len(parts) > 2
    assert parts[-1].endswith("I have saved up my pills to end it.")
    assert all(len(p.split()) <= 50 for p in parts[1:])


def test_emergency_is_the_most_alarming_window_and_self_care_the_least_reassuring():
    rows = np.array([[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]])
    scores = combine(rows)
    assert (scores.emergency, scores.self_care) == (0.8, 0.1)


def test_probabilities_sum_to_one():
    p = probabilities(np.eye(3, 4), np.ones((3, 4)), np.zeros(3))
    assert np.allclose(p.sum(axis=1), 1.0)


def test_thresholds_keep_the_target_emergency_recall_and_never_accept_an_emergency_as_self_care():
    p = np.array([[0.9, 0.05, 0.05], [0.4, 0.3, 0.3], [0.2, 0.2, 0.6],
                  [0.1, 0.7, 0.2], [0.05, 0.15, 0.8]])
    y = np.array([0, 0, 0, 1, 2])
    t = choose_thresholds(p, y, UrgencyTrainingSettings(target_recall=1.0,
                                                        emergency_quantile=1.0))
    assert t.emergency <= 0.2  # all three emergencies reach it
    assert t.self_care > 0.6  # above the emergency whose self-care probability is 0.6


PIPELINE_P = np.array([[0.95, 0.03, 0.02], [0.7, 0.2, 0.1], [0.3, 0.3, 0.4],
                       [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.05, 0.15, 0.8], [0.1, 0.3, 0.6]])
PIPELINE_Y = np.array([0, 0, 0, 1, 1, 2, 2])
#  the rules already call the third emergency an emergency; it reached the self-care gate too
PIPELINE_VIEWS = [RuleView(False, False), RuleView(False, False), RuleView(True, True),
                  RuleView(False, False), RuleView(False, True), RuleView(False, True),
                  RuleView(False, True)]


def test_the_emergency_bar_is_the_highest_that_keeps_the_whole_triages_recall():
    t = choose_thresholds(PIPELINE_P, PIPELINE_Y,
                          UrgencyTrainingSettings(pipeline_recall=1.0, target_recall=0.0),
                          PIPELINE_VIEWS)
    assert t.emergency == 0.7  # with the rules' catch, the story model need reach only 0.7


def test_the_model_alone_still_keeps_its_target_recall_whatever_the_rules_catch():
    # rules written from the training stories catch more of them than of new text
    t = choose_thresholds(PIPELINE_P, PIPELINE_Y,
                          UrgencyTrainingSettings(pipeline_recall=1.0, target_recall=1.0),
                          PIPELINE_VIEWS)
    assert t.emergency == 0.3  # all three emergencies reach the bar on the model's reading alone


def test_self_care_is_accepted_only_well_above_any_emergency_at_the_gate():
    settings = UrgencyTrainingSettings(self_care_floor=0.3, self_care_margin=0.2)
    t = choose_thresholds(PIPELINE_P, PIPELINE_Y, settings, PIPELINE_VIEWS)
    assert t.self_care == pytest.approx(0.6)  # the gated emergency's 0.4, plus the margin


def test_self_care_is_never_accepted_below_the_floor():
    settings = UrgencyTrainingSettings(self_care_floor=0.7, self_care_margin=0.0)
    t = choose_thresholds(PIPELINE_P, PIPELINE_Y, settings, PIPELINE_VIEWS)
    assert t.self_care == pytest.approx(0.7)


def test_a_crushing_chest_pain_story_reads_as_an_emergency(urgency):
    s = urgency.scores("my dad is grey and sweaty, says his chest feels like an elephant is on it")
    assert s.emergency >= urgency.thresholds.emergency


def test_a_runny_nose_reads_as_self_care(urgency):
    s = urgency.scores("ive had a runny nose and a bit of a sniffle for two days, otherwise fine")
    assert s.emergency < urgency.thresholds.emergency
    assert s.self_care >= urgency.thresholds.keep_self_care


def test_a_story_file_with_an_unknown_gold_names_file_and_line(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text(json.dumps({"text": "x", "gold": "urgent"}) + "\n")
    with pytest.raises(ValueError, match=r"s.jsonl:1: gold must be one of"):
        read_stories([path])


def test_training_writes_a_model_that_loads_and_scores(tmp_path, embedder):
    stories = tmp_path / "stories.jsonl"
    texts = {
        "emergency": ["he collapsed and is not breathing", "her lips are blue and she is gasping",
                      "crushing chest pain and sweating", "face drooping and cannot lift arm"],
        "non-emergency": ["sore ear for a week", "burning when i pee for two days",
                          "a rash that is slowly spreading", "cough for three weeks"],
        "self-care": ["a mild cold", "a small bruise on my knee", "a bit of heartburn after dinner",
                      "a sore throat since yesterday"],
    }
    stories.write_text("".join(json.dumps({"text": t, "gold": g}) + "\n"
                               for g, ts in texts.items() for t in ts))
    out = tmp_path / "model"
    info = train(out, [stories], UrgencyTrainingSettings(folds=2, c_grid=(1.0,)),
                 embedder=embedder)
    assert info["stories"] == 12 and info["classes"] == list(CLASSES)
    model = UrgencyModel(out, embedder=embedder)
    assert 0.0 <= model.scores("a mild cold").self_care <= 1.0
    assert info["min_words"] == 3  # "a mild cold": the shortest story trained on


def test_a_text_shorter_than_any_training_story_is_not_read(urgency):
    # a first message of a few words is outside what the model learned from; the rules, the
    # screens and the next turns decide instead
    assert urgency.min_words > 3
    assert not urgency.reads("really bad period pain")
    assert urgency.reads("crushing pain in the middle of my chest for an hour, sweating and sick")


def test_a_short_first_message_keeps_the_rules_level_not_a_whole_story_emergency(urgency):
    from assistant.triage import assess

    result = assess("really bad period pain", urgency=urgency)
    assert "whole_story_emergency" not in result.red_flags and result.level != "emergency"

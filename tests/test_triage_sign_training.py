"""Training the meaning layer's sign detector: the data it is built from, the batches, and a real
(tiny) fine-tuning run from the packaged MiniLM weights that loads back as a detector."""

from __future__ import annotations

import json
import random

import pytest

from assistant.triage import meaning
from assistant.triage import sign_training as st

TINY_BANK = [
    ("stroke_signs", "her face is drooping on one side", 1, "lay"),
    ("stroke_signs", "his speech is slurred and his arm is weak", 1, "lay"),
    ("stroke_signs", "one side of her smile has dropped", 1, "lay"),
    ("stroke_signs", "he suddenly cannot lift his left arm", 1, "lay"),
    ("stroke_signs", "no weakness or numbness anywhere", 0, "negated"),
    ("stroke_signs", "my grandad had a stroke years ago", 0, "relative"),
    ("heavy_bleeding", "the cut will not stop bleeding", 1, "lay"),
    ("heavy_bleeding", "i am throwing up blood", 1, "lay"),
    ("heavy_bleeding", "my poo is black and sticky like tar", 1, "lay"),
    ("heavy_bleeding", "blood is pouring out of the wound", 1, "lay"),
    ("heavy_bleeding", "a small nick from shaving that stopped quickly", 0, "minor"),
    ("heavy_bleeding", "i had a nosebleed last year", 0, "past"),
]
TINY = st.SignTrainingSettings(max_steps=2, batch_size=4, save_steps=1, neighbour_choices=(3,))


@pytest.fixture
def tiny_bank(tmp_path):
    folder = tmp_path / "bank"
    folder.mkdir()
    with open(folder / "part.jsonl", "w") as fh:
        for group, text, label, kind in TINY_BANK:
            line = {"group": group, "text": text, "label": label, "kind": kind}
            fh.write(json.dumps(line) + "\n")
    return folder


def _lines():
    return [meaning.BankLine(*row) for row in TINY_BANK]


def test_the_bank_split_is_stable_and_near_its_fractions():
    lines = [meaning.BankLine("seizure", f"phrasing number {i}", 1, "lay") for i in range(3000)]
    parts = st.split_bank(lines, st.SignTrainingSettings())
    assert parts == st.split_bank(lines, st.SignTrainingSettings())
    assert 0.12 < len(parts["test"]) / 3000 < 0.18
    assert 0.12 < len(parts["calibrate"]) / 3000 < 0.18


def test_typos_change_letters_but_keep_the_words():
    text = "my chest feels really heavy and tight"
    noisy = st.add_typos(text, random.Random(3))
    assert noisy != text and len(noisy.split()) == len(text.split())
    assert noisy == st.add_typos(text, random.Random(3))


def test_no_batch_holds_two_rows_of_one_group_and_every_row_is_used_once():
    labels = [g for g in range(10) for _ in range(7)]
    batches = st.plan_batches(labels, size=4, seed=0)
    assert sorted(i for b in batches for i in b) == list(range(len(labels)))
    assert all(len({labels[i] for i in b}) == len(b) <= 4 for b in batches)


def test_training_rows_pair_each_phrasing_with_its_own_sign_against_a_hard_negative():
    rows = st.training_rows(_lines(), st.SignTrainingSettings(typo_rate=0.0), random.Random(0))
    positives = {text for g, text, label, _ in TINY_BANK if label == 1 and g == "stroke_signs"}
    negatives = {text for g, text, label, _ in TINY_BANK if label == 0 and g == "stroke_signs"}
    row = next(r for r in rows if r["anchor"] == "her face is drooping on one side")
    assert row["positive"] in positives and row["negative"] in negatives


def test_training_writes_a_detector_that_loads_and_detects(tiny_bank, tmp_path):
    out = st.train(tmp_path / "model", tiny_bank, TINY, progress=False)
    assert {"adapter_model.safetensors", "signs.json", "bank.npz", "training.json",
            "README.md"} <= {p.name for p in out.iterdir()}
    assert not (out / st.CHECKPOINTS).exists()
    detector = meaning.SignDetector.load(str(out), bank_dir=tiny_bank)
    assert isinstance(detector.groups("her face looks droopy"), frozenset)
    record = json.loads((out / "training.json").read_text())
    assert record["bank"]["fingerprint"] == meaning.bank_fingerprint(detector.bank.lines)


def test_a_stopped_run_resumes_from_its_checkpoint(tmp_path):
    work = tmp_path / "checkpoints"
    st.fine_tune(_lines(), work, TINY, progress=False)
    _, run = st.fine_tune(_lines(), work, st.SignTrainingSettings(
        max_steps=3, batch_size=4, save_steps=1, neighbour_choices=(3,)), progress=False)
    assert run["resumed"] and run["steps"] == 3

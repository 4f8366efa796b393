"""The llama.cpp backend on the real packaged SmolLM2 GGUF: same prompts, same fine-tune, and the
Generator interface (stop sequences, early close, option scores)."""

from __future__ import annotations

import json

import pytest

from assistant.generator import Generator, GeneratorSettings, make_generator
from assistant.llamacpp_backend import LlamaCppGenerator
from assistant.lora_gguf import convert
from assistant.prompt import STOP, answer_prompt
from retrieval.weights import resolve

SMOLLM = "SmolLM2-135M-Instruct"
ADAPTER = "medchat-answer-smollm2"
COPYING = {"repetition_penalty": 1.0, "no_repeat_ngram_size": 0, "max_new_tokens": 24}


@pytest.fixture(scope="module")
def prompt(shared_data, retriever) -> str:
    """A real answer prompt: a PubMedQA question and its retrieved sources."""
    with open(shared_data / "pubmedqa" / "questions_trainval.jsonl") as fh:
        question = json.loads(fh.readline())["question"]
    return answer_prompt(question, [h.passage for h in retriever.search(question, k=3)])


@pytest.fixture(scope="module")
def tuned(settings) -> LlamaCppGenerator:
    s = GeneratorSettings(model=SMOLLM, adapter=ADAPTER, backend="llama.cpp", **COPYING)
    return make_generator(s, settings.model_cache, threads=1)


def test_the_backend_is_chosen_by_the_settings(tuned):
    assert isinstance(tuned, LlamaCppGenerator) and tuned.name == SMOLLM


def test_the_converted_adapter_writes_what_the_fine_tuned_transformers_model_writes(
    settings, tuned, prompt
):
    reference = Generator(GeneratorSettings(model=SMOLLM, adapter=ADAPTER, device="cpu",
                                            **COPYING), settings.model_cache)
    ours = tuned.generate(prompt, stop=STOP).split()
    theirs = reference.generate(prompt, stop=STOP).split()
    assert ours[:3] == theirs[:3] and ours  # quantised arithmetic may part ways later


def test_without_the_adapter_the_model_writes_otherwise(settings, tuned, prompt):
    plain = make_generator(GeneratorSettings(model=SMOLLM, backend="llama.cpp", adapter="",
                                             **COPYING),
                           settings.model_cache, threads=1)
    assert plain.generate(prompt, stop=STOP) != tuned.generate(prompt, stop=STOP)


def test_text_ends_before_a_stop_sequence(tuned):
    text = tuned.generate("Count: one, two, three, four,", max_new_tokens=16, stop=[" six"])
    assert " six" not in text


def test_closing_a_stream_early_frees_the_model_for_the_next_prompt(tuned):
    pieces = tuned.stream("Write a long story about a doctor.", max_new_tokens=64)
    next(pieces)
    pieces.close()
    assert tuned.generate("The capital of France is", max_new_tokens=4)


def test_option_scores_are_log_probabilities_that_rank_the_likely_option_first(tuned):
    scores = tuned.score_options("The capital of France is", [" Paris", " London", " Rome Italy"])
    assert all(s < 0 for s in scores.values())
    assert scores[" Paris"] > scores[" London"]
    assert scores[" Rome Italy"] < scores[" London"]  # two tokens cost more than one


def test_a_model_that_is_not_gguf_is_refused_with_what_to_use(settings, tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    with pytest.raises(ValueError, match="reads GGUF files"):
        LlamaCppGenerator(GeneratorSettings(model=str(folder), backend="llama.cpp"),
                          settings.model_cache)


def test_an_adapter_for_another_model_does_not_convert(settings, tmp_path):
    gemma = resolve("gemma-3-270m", settings.model_cache)
    from assistant.generator import adapter_folder

    with pytest.raises(ValueError, match="another model|no tensor"):
        convert(adapter_folder(ADAPTER), gemma, tmp_path / "wrong.gguf")
    assert not (tmp_path / "wrong.gguf").exists()



def test_auto_runs_a_packaged_gguf_on_llama_cpp_on_the_cpu():
    from assistant.generator import chosen_backend

    assert chosen_backend(GeneratorSettings(model="gemma-3-270m", device="cpu")) == "llama.cpp"
    assert chosen_backend(GeneratorSettings(model="/my/transformers/folder", device="cpu")) == \
        "transformers"
    assert chosen_backend(GeneratorSettings(model="gemma-3-270m", backend="transformers")) == \
        "transformers"


def test_the_default_settings_build_the_llama_cpp_generator_with_the_shipped_adapter(settings):
    built = make_generator(GeneratorSettings(device="cpu", max_new_tokens=8),
                           settings.model_cache, threads=1)
    assert isinstance(built, LlamaCppGenerator)
    assert built.settings.adapter == "medchat-answer-gemma3"
    assert built.generate("The heart has four", max_new_tokens=4)


def test_the_library_log_lines_go_to_the_logger_not_the_terminal(settings, capfd, caplog):
    """llama.cpp warns while applying an adapter to a repacked quantised model; `medchat ask`
    must print only the answer."""
    capfd.readouterr()
    with caplog.at_level("DEBUG", logger="assistant.llamacpp_backend"):
        make_generator(GeneratorSettings(device="cpu"), settings.model_cache, threads=1)
    assert "llama" not in capfd.readouterr().err
    assert any("lora" in r.getMessage() for r in caplog.records)

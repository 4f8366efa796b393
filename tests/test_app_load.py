"""Concurrent sessions through the Gradio API: no errors and no cross-talk (the small version of
benchmarks/load_test.py; its timings are printed, never asserted)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

LOAD_TEST = Path(__file__).resolve().parents[1] / "benchmarks" / "load_test.py"


@pytest.fixture(scope="module")
def load_test():
    spec = importlib.util.spec_from_file_location("load_test", LOAD_TEST)
    module = importlib.util.module_from_spec(spec)
    sys.modules["load_test"] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_eight_concurrent_sessions_get_their_own_answers_and_no_errors(
    served_app_url, load_test
):
    figures = load_test.run(served_app_url, sessions=8, literature=3, max_seconds=900)
    assert figures["errors"] == 0
    assert figures["crosstalk"] == 0
    assert figures["literature answers"] == 3
    assert figures["intake turns"] >= 8 * 2  # every patient went beyond the first message

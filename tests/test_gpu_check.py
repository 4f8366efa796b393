"""The one-command GPU check (benchmarks/gpu_check.py) runs end to end on a CPU at tiny sizes.

On a machine without a GPU (and with CPU-only FAISS) it must still measure every section,
searching with torch where FAISS has no GPU support, and say so.
"""

from __future__ import annotations

import importlib.util
import json
import sys

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def report(settings, tmp_path_factory):
    spec = importlib.util.spec_from_file_location("gpu_check", REPO / "benchmarks/gpu_check.py")
    gpu_check = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gpu_check  # its dataclasses look their module up there
    spec.loader.exec_module(gpu_check)
    out = tmp_path_factory.mktemp("gpu-check")
    gpu_check.main(["--tiny", "--device", "cpu", "--threads", "1", "--out", str(out),
                    "--models-dir", str(settings.model_cache)])
    return json.loads((out / "gpu_check.json").read_text()), (out / "gpu_check.md").read_text()


def test_every_section_is_measured_without_error(report):
    result, _ = report
    for name in ("embedding", "search", "generator", "lora", "recipe"):
        assert "error" not in result[name], result[name].get("error")


def test_embedding_is_compared_with_the_raw_encoder_ceiling(report):
    embedding = report[0]["embedding"]
    assert embedding["embed_passages_per_s"] > 0 and embedding["embed_vs_raw_own"] > 0


def test_search_without_gpu_faiss_falls_back_to_torch_and_says_so(report):
    search = report[0]["search"]
    methods = {row["method"].split(" ")[0]: row for row in search["methods"]}
    assert "pip install faiss-gpu" in search["faiss_gpu_note"]
    assert methods["faiss-cpu"]["top10_agreement_with_faiss_cpu"] == 1.0
    assert methods["torch"]["top10_agreement_with_faiss_cpu"] >= 0.99


def test_generator_lora_and_recipe_report_their_rates(report):
    result, markdown = report
    assert result["generator"]["tokens_per_s"] > 0 and result["generator"]["ttft_s"] > 0
    assert result["lora"]["steps_per_s"] > 0
    assert result["recipe"]["recipe_s_per_question"] > 0
    assert result["recipe"]["medchat_s_per_question"] > 0
    assert "## Search over 5,000 x 384 vectors" in markdown

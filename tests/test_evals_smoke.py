"""The smoke evaluation: real models on a small fixed subset, held to evals/floors.toml.

Minutes on 2 CPU cores; weights are converted once into the shared test model cache and the
smoke corpus is indexed in a temporary medchat home.
"""

import json

from conftest import MODELS_DIR

from evals.cli import main
from evals.floors import load_limits


def test_the_floors_cover_retrieval_reading_and_triage():
    metrics = {limit.metric for limit in load_limits()}
    assert {"retrieval.recall@5", "qa.accuracy", "triage.emergency_sensitivity"} <= metrics


def test_smoke_run_meets_its_floors(tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDCHAT_MODELS_DIR", str(MODELS_DIR))
    out = tmp_path / "run"
    status = main(["smoke", "--out", str(out), "--no-progress"])
    results = json.loads((out / "results.json").read_text())
    failed = [c for c in results["floors"]["checks"] if not c["ok"]]
    assert not failed, failed
    assert status == 0
    assert (out / "report.md").is_file() and (out / "retrieval.png").is_file()

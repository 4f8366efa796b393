"""`medchat reranker train` end to end: mine from the index, hold out topics, train, save."""

from __future__ import annotations

import json

from medchat_cli import main
from retrieval.rerank import Reranker


def test_reranker_train_writes_an_adapter_and_the_held_out_questions(
    settings, pubmedqa_index, pubmedqa_docs, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEDCHAT_HOME", str(settings.home))
    monkeypatch.setenv("MEDCHAT_MODELS_DIR", str(settings.model_cache))
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(
        json.dumps({"id": d.pmid, "question": d.title, "gold_pmids": [d.pmid]}) + "\n"
        for d in pubmedqa_docs[:20]
    ))
    out = tmp_path / "reranker"
    status = main(["reranker", "train", "--questions", str(questions), "--out", str(out),
                   "--max-groups", "4", "--lora-rank", "4"])
    assert status == 0
    card = json.loads((out / "training.json").read_text())
    counts = card["questions"][str(questions)]
    assert counts["trained_on"] == 4 and counts["held_out"] > 0
    held = (out / counts["held_out_file"]).read_text().splitlines()
    assert len(held) == counts["held_out"]
    assert Reranker(str(out), device="cpu", cache_dir=settings.model_cache).kind == "bi-encoder"


def test_a_holdout_outside_zero_to_one_is_a_usage_error(tmp_path, capsys):
    status = main(["reranker", "train", "--questions", str(tmp_path / "q.jsonl"),
                   "--out", str(tmp_path / "r"), "--holdout", "1.5"])
    assert status == 2
    assert "--holdout" in capsys.readouterr().err

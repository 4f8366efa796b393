"""The command line: arguments, run folders, clear errors, and `compare`."""

import json

import pytest
from conftest import MODELS_DIR

from evals import cli
from evals.results import write_outputs


def test_every_suite_is_accepted():
    for suite in cli.SUITES:
        args = cli.build_parser().parse_args([suite, "--limit", "3", "--mode", "bm25"])
        assert (args.suite, args.limit, args.mode, args.seed) == (suite, 3, "bm25", 0)


def test_questions_and_corpus_may_be_repeated():
    args = cli.build_parser().parse_args(["qa", "--questions", "a", "--questions", "b",
                                          "--corpus", "c", "--gold-context"])
    assert [str(p) for p in args.questions] == ["a", "b"]
    assert args.gold_context


def test_an_unknown_suite_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["nonsense"])
    assert exc.value.code == 2


def test_default_run_folder_is_named_after_the_suite(tmp_path):
    folder = cli.run_folder("triage", None, False, root=tmp_path)
    assert folder.parent == tmp_path and folder.name.startswith("triage-")


def test_resume_without_out_continues_the_newest_run_of_the_suite(tmp_path):
    (tmp_path / "qa-20250101-000000").mkdir()
    (tmp_path / "qa-20250102-000000").mkdir()
    (tmp_path / "triage-20250103-000000").mkdir()
    assert cli.run_folder("qa", None, True, root=tmp_path).name == "qa-20250102-000000"


def test_a_bad_vignette_file_exits_2_naming_file_and_line(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "q.jsonl"
    bad.write_text('{"id": "a", "source": "s", "text": "t", "gold": "self-care"}\nnot json\n')
    monkeypatch.setattr("evals.system.System.load", _no_system)
    status = cli.main(["triage", "--vignettes", str(bad), "--out", str(tmp_path / "run"),
                       "--no-progress"])
    assert status == 2
    assert f"{bad}:2: malformed JSON" in capsys.readouterr().err


def _no_system(*args, **kwargs):
    from types import SimpleNamespace

    from assistant.generator import GeneratorSettings
    from evals.system import System

    settings = SimpleNamespace(retrieval=SimpleNamespace(embedder="e", reranker="", mode="hybrid"),
                               generator=GeneratorSettings(model="g"), index_dir="idx",
                               triage=SimpleNamespace(signs="", urgency=""))
    return System(settings, progress=False)


def test_compare_prints_and_writes_a_table_of_deltas(tmp_path, capsys):
    a, b = tmp_path / "a", tmp_path / "b"
    write_outputs({"suite": "triage", "triage": {"accuracy": 0.5}}, a)
    write_outputs({"suite": "triage", "triage": {"accuracy": 0.75}}, b)
    assert cli.main(["compare", str(a), str(b)]) == 0
    assert "| triage.accuracy | 0.500 | 0.750 | +0.250 |" in capsys.readouterr().out
    assert "+0.250" in (b / "compare.md").read_text()


def test_compare_of_a_missing_run_exits_2(tmp_path, capsys):
    assert cli.main(["compare", str(tmp_path / "x"), str(tmp_path / "y")]) == 2
    assert "no results.json" in capsys.readouterr().err


def test_triage_suite_end_to_end_with_a_stub_assessor(tmp_path, monkeypatch):
    from dataclasses import dataclass

    @dataclass
    class Result:
        level: str

    monkeypatch.setattr("evals.system.System.load", _no_system)
    monkeypatch.setattr("evals.system.System.assess", lambda self, text: Result("urgent"))
    out = tmp_path / "run"
    assert cli.main(["triage", "--out", str(out), "--no-progress", "--limit", "6"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["triage"]["n"] == 6
    assert set(results["triage"]) >= {"accuracy", "emergency_sensitivity", "under_triage_rate",
                                      "over_triage_rate"}
    assert list(results["data"]["inputs"].values())[0]  # sha256 of the vignette file
    assert (out / "triage-confusion.png").is_file() and (out / "items-triage.jsonl").is_file()


def test_a_missing_default_index_is_built_on_first_use_like_ask(
    tmp_path, capsys, monkeypatch, pubmedqa_docs
):
    corpus = tmp_path / "small.jsonl"
    docs = pubmedqa_docs[:6]
    corpus.write_text("".join(json.dumps({"pmid": d.pmid, "title": d.title, "abstract": d.text})
                              + "\n" for d in docs))
    questions = tmp_path / "q.jsonl"
    questions.write_text("".join(json.dumps({"id": d.pmid, "question": d.title,
                                             "gold_pmids": [d.pmid]}) + "\n" for d in docs))
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MEDCHAT_MODELS_DIR", str(MODELS_DIR))
    monkeypatch.setenv("MEDCHAT_CORPUS", str(corpus))
    status = cli.main(["retrieval", "--questions", str(questions), "--no-langchain",
                       "--out", str(tmp_path / "run"), "--no-progress"])
    assert status == 0
    assert "building it now (once)" in capsys.readouterr().err
    assert (tmp_path / "home" / "indexes" / "default" / "CURRENT").is_file()


def test_a_user_error_of_the_system_under_test_exits_2_with_its_message(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("MEDCHAT_RETRIEVAL__TOP_K", "many")
    status = cli.main(["retrieval", "--out", str(tmp_path / "run"), "--no-progress"])
    assert status == 2
    assert "setting retrieval.top_k (from MEDCHAT_RETRIEVAL__TOP_K): cannot use 'many'" \
        in capsys.readouterr().err


def test_a_bug_is_not_disguised_as_a_user_error(tmp_path, monkeypatch):
    from evals import runner

    def broken(*_):
        raise TypeError("a programming error")

    monkeypatch.setattr(runner, "run_suite", broken)
    with pytest.raises(TypeError, match="a programming error"):
        cli.main(["retrieval", "--out", str(tmp_path / "run"), "--no-progress"])

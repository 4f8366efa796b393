"""What a run writes (results.json, report.md, figures), how two runs compare, and the floors."""

import json

from evals import compare, floors
from evals.itemlog import ItemLog
from evals.results import load_results, write_outputs

RETRIEVAL = {
    "mode": "hybrid", "n": 2, "recall@1": 0.5, "recall@5": 1.0, "recall@10": 1.0,
    "recall@20": 1.0, "mrr@10": 0.75, "ndcg@10": 0.8, "ci": {"recall@1": [0.0, 1.0]},
    "baselines": {
        name: {"recall@1": 0.5, "recall@5": 0.5, "recall@10": 0.5, "recall@20": 0.5,
               "mrr@10": 0.5, "ndcg@10": float("nan")}
        for name in ("bm25", "dense")
    },
    "ratio_to_best_baseline": {"recall@1": 1.0},
}
TRIAGE = {"n": 3, "accuracy": 1 / 3, "emergency_sensitivity": 0.0, "under_triage_rate": 0.2,
          "labels": ["emergency", "non-emergency", "self-care"],
          "confusion": [[0, 1, 0], [0, 1, 0], [0, 1, 0]]}


def test_a_run_writes_results_report_and_figures(tmp_path):
    written = write_outputs({"suite": "all", "retrieval": RETRIEVAL, "triage": TRIAGE}, tmp_path)
    names = {p.name for p in written}
    assert {"results.json", "report.md", "retrieval.png", "triage-confusion.png"} <= names
    assert "| hybrid (system) |" in (tmp_path / "report.md").read_text()


def test_nan_is_written_as_null(tmp_path):
    write_outputs({"suite": "retrieval", "retrieval": RETRIEVAL}, tmp_path)
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["retrieval"]["baselines"]["bm25"]["ndcg@10"] is None


def test_load_results_accepts_a_run_folder(tmp_path):
    write_outputs({"suite": "triage", "triage": TRIAGE}, tmp_path)
    assert load_results(tmp_path)["triage"]["n"] == 3


def test_compare_lists_both_values_and_the_change():
    a = {"retrieval": RETRIEVAL}
    b = {"retrieval": {**RETRIEVAL, "recall@1": 0.75}, "triage": TRIAGE}
    rows = {k: (va, vb, d) for k, va, vb, d in compare.compare(a, b)}
    assert rows["retrieval.recall@1"] == (0.5, 0.75, 0.25)
    assert rows["retrieval.baselines.bm25.recall@5"] == (0.5, 0.5, 0.0)
    assert rows["triage.accuracy"][0] is None and rows["triage.accuracy"][2] is None
    assert "retrieval.ci.recall@1" not in rows
    assert "| retrieval.recall@1 | 0.500 | 0.750 | +0.250 |" in compare.render("a", "b", list(
        compare.compare(a, b)))


def test_floors_are_minimums_and_ceilings_maximums():
    limits = floors.parse_limits('[retrieval]\n"recall@5" = 0.9\n'
                                 '[ceilings]\n"triage.under_triage_rate" = 0.1\n')
    result = floors.check({"retrieval": RETRIEVAL, "triage": TRIAGE}, limits)
    assert [c["ok"] for c in result["checks"]] == [True, False]
    assert result["passed"] is False


def test_a_missing_metric_fails_its_floor():
    result = floors.check({}, floors.parse_limits('[qa]\naccuracy = 0.1\n'))
    assert result == {"passed": False, "checks": [
        {"metric": "qa.accuracy", "kind": "floor", "value": None, "bound": 0.1, "ok": False}]}


def test_the_checked_in_floors_parse():
    assert floors.load_limits()


def test_item_log_resumes_and_ignores_a_torn_last_line(tmp_path):
    path = tmp_path / "items.jsonl"
    log = ItemLog(path, resume=False)
    log.add("a", {"x": 1})
    with open(path, "a") as fh:
        fh.write('{"key": "b", "x"')
    resumed = ItemLog(path, resume=True)
    assert "a" in resumed and "b" not in resumed
    assert resumed.get("a") == {"key": "a", "x": 1}


def test_item_log_without_resume_starts_empty(tmp_path):
    path = tmp_path / "items.jsonl"
    ItemLog(path, resume=False).add("a", {})
    assert "a" not in ItemLog(path, resume=False)


def test_a_record_added_after_a_torn_line_survives(tmp_path):
    path = tmp_path / "items.jsonl"
    path.write_text('{"key": "a"}\n{"key": "b", "x"')
    ItemLog(path, resume=True).add("c", {})
    assert "c" in ItemLog(path, resume=True)

"""Every bad input gets a message that says what to do, never a traceback; bugs stay bugs.

One error hierarchy (corpus.errors.MedchatError) carries the user-facing kinds; the `medchat`
command prints them as one line with exit status 2 and lets any other exception through.
"""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import MODELS_DIR

import medchat_cli
from assistant.settings import SettingsError
from corpus.errors import (
    CorpusError,
    IndexBusyError,
    IndexMismatchError,
    IndexMissingError,
    InputError,
    MedchatError,
    WeightsError,
)
from corpus.files import replacing, write_atomic
from corpus.store import PassageStore
from evals.formats import FormatError
from retrieval.query import QueryError, check_query
from retrieval.retriever import Filters
from retrieval.why_empty import why_empty

# --- the hierarchy ------------------------------------------------------------------------


@pytest.mark.parametrize("kind, old_base", [
    (InputError, ValueError), (CorpusError, ValueError), (QueryError, ValueError),
    (FormatError, ValueError), (SettingsError, ValueError),
    (IndexMissingError, FileNotFoundError), (IndexMismatchError, RuntimeError),
    (IndexBusyError, RuntimeError), (WeightsError, RuntimeError),
])
def test_every_user_error_is_a_medchat_error_and_keeps_its_old_base(kind, old_base):
    assert issubclass(kind, MedchatError) and issubclass(kind, old_base)


def test_retrieval_and_manifest_errors_are_the_shared_classes():
    from retrieval import manifest, weights

    assert manifest.IndexMismatchError is IndexMismatchError
    assert weights.WeightsError is WeightsError


# --- questions ----------------------------------------------------------------------------


def test_undecodable_command_line_bytes_are_refused_with_a_message():
    question = b"caf\xe9 and asthma".decode("utf-8", "surrogateescape")  # as sys.argv holds it
    with pytest.raises(QueryError, match="not valid UTF-8 .* character 4.*set your terminal"):
        check_query(question)


def test_control_and_invisible_characters_are_cleaned_out():
    question = "\x1b[31mdoes\u200b metformin\x00 help?\u202e\n"
    assert check_query(question) == "[31mdoes metformin help?"


def test_a_question_of_only_control_characters_is_empty():
    with pytest.raises(QueryError, match="the question is empty"):
        check_query("\x00\x07\u200b\t")


def test_a_huge_question_is_refused_before_it_is_cleaned():
    with pytest.raises(QueryError, match="1,000,000 characters long; keep it under 2000"):
        check_query("a" * 1_000_000)


# --- atomic files -------------------------------------------------------------------------


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "CURRENT"
    write_atomic(target, "v-1\n")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "v-1\n"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]


# --- filters that leave nothing -----------------------------------------------------------


@pytest.fixture()
def store(tmp_path):
    from corpus.records import Passage

    s = PassageStore.create(tmp_path / "p.sqlite")
    s.add([Passage("a", 0, "text a", year=2001, mesh=("Asthma",)), Passage("b", 0, "text b",
                                                                            year=2010)])
    yield s
    s.close()


def test_no_reason_when_the_filters_leave_passages(store):
    assert why_empty(store, Filters(year_min=2000)) is None
    assert why_empty(store, Filters()) is None


def test_a_year_range_outside_the_corpus_names_the_corpus_years(store):
    assert why_empty(store, Filters(2019, 2020)) == (
        "no document is between 2019 and 2020 (the 2 documents with a year run from 2001 to 2010)")


def test_a_missing_mesh_term_and_publication_types_are_named(store):
    reason = why_empty(store, Filters(mesh="Gout", publication_type="Review"))
    assert reason == ("none of the 2 indexed documents has a publication type; "
                      "no document has the MeSH term 'Gout'")


def test_filters_that_match_apart_but_not_together_say_so(store):
    assert "no document matches them all" in why_empty(store, Filters(2005, None, mesh="Asthma"))


def test_a_reversed_year_range_is_named(store):
    assert why_empty(store, Filters(2020, 2010)).startswith("the year range is empty")


# --- the medchat command ------------------------------------------------------------------

RECORDS = [
    {"doc_id": "n1", "title": "Metformin in gestational diabetes",
     "abstract": "Metformin lowered glucose in pregnant women with gestational diabetes."},
    {"doc_id": "n2", "abstract": "Inhaled steroids reduce asthma attacks in children. "
                                 "Adherence matters."},
    {"doc_id": "n3", "title": "Gout diagnosis", "abstract": "Joint fluid shows urate crystals."},
]


def _medchat(capsys, *argv: str) -> tuple[int, str, str]:
    status = medchat_cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """A medchat home whose default index holds three records without years, one untitled;
    the corpus folder also holds a truncated gzip file and a line of undecodable bytes."""
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    corpus.mkdir()
    lines = [json.dumps(r).encode() for r in RECORDS] + [b'{"doc_id": "bad", "title": "\xff"}']
    (corpus / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    packed = gzip.compress(b"\n".join(
        json.dumps({"doc_id": f"z{i}", "title": f"Filler {i}", "abstract": "Nothing."}).encode()
        for i in range(150)))
    (corpus / "b.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MEDCHAT_HOME", str(root / "home"))
        mp.setenv("MEDCHAT_MODELS_DIR", str(MODELS_DIR))
        status = medchat_cli.main(["index", "build", "--corpus", str(corpus)])
        yield root, corpus, status


@pytest.fixture()
def env(home, monkeypatch):
    root, _, _ = home
    monkeypatch.setenv("MEDCHAT_HOME", str(root / "home"))
    monkeypatch.setenv("MEDCHAT_MODELS_DIR", str(MODELS_DIR))
    return home


def test_build_skips_bad_files_and_lines_and_summarises_them(env, capsys):
    root, corpus, status = env
    assert status == 0
    from retrieval.index import current_version

    manifest = json.loads((current_version(root / "home/indexes/default") / "manifest.json")
                          .read_text())
    assert manifest["documents"] > 3  # the good lines, and the gzip's records before its cut


def test_build_summary_names_file_and_line_of_each_skip(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path / "home"))
    bad = tmp_path / "only.jsonl"
    bad.write_bytes(b'{"doc_id": "x", "title": "\xff"}\n'
                    b'{"doc_id": "y", "title": "t", "version": 1e400}\n')
    status, _, err = _medchat(capsys, "index", "build", "--corpus", str(bad))
    assert status == 2
    assert f"{bad}:1: not UTF-8 text" in err and f"{bad}:2: 'version' must be a whole" in err
    assert "medchat: error: the corpus holds no readable documents" in err
    assert "Traceback" not in err


def test_search_on_undecodable_bytes_is_a_message_not_a_traceback(env, capsys):
    status, out, err = _medchat(capsys, "search", "caf\udce9")
    assert status == 2 and out == ""
    assert err.startswith("medchat: error: the question is not valid UTF-8")


def test_year_filter_on_a_corpus_without_years_says_why_nothing_came_back(env, capsys):
    status, out, err = _medchat(capsys, "search", "metformin", "--year-min", "2019")
    assert status == 1 and out == ""
    assert "\n0 results: none of the " in err and "indexed documents has a year.\n" in err


def test_search_output_shows_titles_or_the_opening_words(env, capsys):
    status, out, _ = _medchat(capsys, "search", "asthma steroids children metformin", "-k", "3")
    assert status == 0
    assert "Metformin in gestational diabetes (n.d.)" in out
    assert "Inhaled steroids reduce asthma attacks in children. Adherence matters. ..." in out


def test_ask_with_filters_that_leave_nothing_says_so(env, capsys):
    status, _, err = _medchat(capsys, "ask", "does metformin help?", "--mesh", "Gout")
    assert status == 2
    assert "no sources to answer from: none of the" in err and "has a MeSH term" in err


def test_a_settings_error_is_one_line_with_status_2(capsys, monkeypatch):
    monkeypatch.setenv("MEDCHAT_RETRIEVAL__TOP_K", "many")
    status, _, err = _medchat(capsys, "index", "info")
    assert status == 2
    assert err == "medchat: error: setting retrieval.top_k (from MEDCHAT_RETRIEVAL__TOP_K): " \
                  "cannot use 'many' (Input should be a valid integer, unable to parse string " \
                  "as an integer)\n"


def test_no_index_names_the_command_that_builds_one(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path))
    status, _, err = _medchat(capsys, "index", "info")
    assert status == 2 and "build one with `medchat index build`" in err


def test_update_without_corpus_is_a_message(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path))
    status, _, err = _medchat(capsys, "index", "update")
    assert status == 2 and "index update needs --corpus" in err


def test_a_programming_error_surfaces_as_a_traceback(monkeypatch, tmp_path):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path))

    def broken(_args):
        raise TypeError("a bug")

    monkeypatch.setattr(medchat_cli, "cmd_index", broken)
    with pytest.raises(TypeError, match="a bug"):
        medchat_cli.main(["index", "info"])


def test_triage_text_with_undecodable_bytes_is_a_message(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("MEDCHAT_HOME", str(tmp_path))
    status, _, err = _medchat(capsys, "triage", "chest pain \udcff")
    assert status == 2 and "the description is not valid UTF-8" in err



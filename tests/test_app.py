"""The Gradio app over loopback (gradio_client), as a user's browser or a script would use it."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gradio_client import Client

import app
from assistant.records import Answer, Citation
from assistant.settings import AppSettings, Settings, SettingsError, load_settings
from assistant.triage import validate
from assistant.triage.decision import TriageResult
from corpus.records import Passage
from ui import intake, literature
from ui.models import Models

LACE_PLANT = ("Do mitochondria play a role in remodelling lace plant leaves during programmed "
              "cell death?")
CHEST_PAIN = "I have crushing chest pain spreading to my left arm and I'm sweating"


def launched(demo, settings: Settings):
    demo.launch(**{**app.launch_options(settings), "server_port": None,
                   "prevent_thread_lock": True, "quiet": True})
    return demo


@pytest.fixture(scope="module")
def models(settings, assistant):
    return Models(settings, assistant)


@pytest.fixture(scope="module")
def demo(settings, models):
    demo = launched(app.build_app(settings, models=models), settings)
    yield demo
    demo.close()


@pytest.fixture()
def client(demo):
    return Client(demo.local_url, verbose=False)


@pytest.fixture(scope="module")
def cold(settings):
    """An app whose models are not loaded yet (nothing is loaded unless a check passes)."""
    models = Models(settings)
    demo = launched(app.build_app(settings, models=models), settings)
    yield demo, models
    demo.close()


def read(path: str) -> str:
    return Path(path).read_text(encoding="utf-8")


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


# --- private by default -----------------------------------------------------------------------

def test_the_app_binds_to_loopback_and_is_never_shared_by_default():
    options = app.launch_options(Settings())
    assert options["server_name"] == "127.0.0.1"
    assert options["share"] is False


def test_run_history_analytics_and_monitoring_are_off():
    options = app.launch_options(Settings())
    assert options["run_history"] is False
    assert "runs" not in options["footer_links"]
    assert options["enable_monitoring"] is False
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_the_run_history_page_does_not_exist(demo):
    status, _ = get(demo.local_url + "gradio_api/runs")
    assert status == 404
    assert demo.run_history is False and demo.analytics_enabled is False


def test_no_login_is_asked_unless_a_username_and_password_are_set():
    assert app.launch_options(Settings())["auth"] is None


def test_login_comes_from_the_environment():
    settings = load_settings(env={"MEDCHAT_APP__USERNAME": "clinic",
                                  "MEDCHAT_APP__PASSWORD": "s3cret"})
    assert app.launch_options(settings)["auth"] == ("clinic", "s3cret")


def test_a_username_without_a_password_is_refused():
    with pytest.raises(SettingsError, match="username and app.password"):
        load_settings(env={"MEDCHAT_APP__USERNAME": "clinic"})


def test_with_a_login_the_api_refuses_strangers_and_admits_the_user(settings):
    secured = settings.model_copy(update={"app": AppSettings(username="clinic", password="s3cret")})
    demo = launched(app.build_app(secured), secured)
    try:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError
            Client(demo.local_url, verbose=False)
        result = Client(demo.local_url, auth=("clinic", "s3cret"), verbose=False).predict(
            "", api_name="/ask")
        assert "Type a question" in result[0]
    finally:
        demo.close()


def test_concurrency_and_queue_size_come_from_the_settings(settings):
    tuned = settings.model_copy(update={"app": AppSettings(concurrency=3, intake_concurrency=5,
                                                           queue_size=7)})
    demo = app.build_app(tuned)
    limits = {fn.api_name: fn.concurrency_limit for fn in demo.fns.values() if fn.api_name}
    assert limits["ask"] == 3
    assert limits["intake"] == 5
    assert demo._queue.max_size == 7


# --- waiting: checks answered at once, before any model loads ---------------------------------

def test_an_empty_question_is_answered_before_any_model_loads(cold):
    demo, models = cold
    response, sources = Client(demo.local_url, verbose=False).predict("", api_name="/ask")
    assert "Type a question" in response
    assert models._assistant is None


def test_an_over_long_question_is_refused_with_its_length(cold):
    demo, models = cold
    response, _ = Client(demo.local_url, verbose=False).predict("why? " * 500,
                                                                api_name="/ask")
    assert "characters long" in response
    assert models._assistant is None


def test_an_empty_range_of_years_is_refused_before_searching():
    assert "year range is empty" in literature.year_problem(2020, 2010)
    assert literature.year_problem(0, 2010) is None


# --- literature tab ---------------------------------------------------------------------------

def test_a_literature_question_gets_an_answer_with_references_and_linked_sources(client):
    response, sources = client.predict(LACE_PLANT, api_name="/ask")
    assert "not medical advice" in response
    assert "https://pubmed.ncbi.nlm.nih.gov/21645374/" in response  # copyable with references
    assert "href='https://pubmed.ncbi.nlm.nih.gov/21645374/'" in sources
    assert "abstract" in sources
    assert "<mark>" in sources  # the cited sentence, highlighted in its passage


def test_the_literature_chat_streams_only_checked_text(models, settings):
    from assistant.citations import split_answer

    updates = [text for text, _ in literature.reply(models, LACE_PLANT, [])]
    assert updates[0] == literature.SEARCHING
    final = updates[-1]
    for partial in updates[1:-1]:
        assert partial.endswith(" …")
        assert all(sentence in final for sentence in split_answer(partial[: -len(" …")]))


def test_the_number_of_sources_comes_from_the_settings_panel(models):
    *_, (text, sources) = literature.reply(
        models, "How do I replace the carburettor of a lawn mower?", [], k=2)
    assert sources.count("class='medchat-source'") == 2


def test_a_year_range_without_documents_finds_no_sources(models):
    *_, (_, sources) = literature.reply(models, LACE_PLANT, [], year_from=1900,
                                        year_to=1901)
    assert "No sources were found" in sources


def test_reranking_can_be_switched_on_from_the_settings_panel(models):
    assert models.answering("hybrid", False).retriever.reranker is None
    view = models.answering("bm25", True)
    assert view.retriever.reranker is not None
    assert view.retriever.settings.mode == "bm25"
    assert view.generator is models.assistant().generator  # nothing reloaded


def passage(doc_id: str, pmid: str = "", text: str = "First finding here. Second finding.",
            link: str = "") -> Passage:
    return Passage(doc_id=doc_id, chunk=0, text=text, title=f"Title {doc_id}", pmid=pmid,
                   year=2011 if pmid else None, journal="BMC Plant Biol" if pmid else "",
                   link=link)


def test_each_document_is_listed_once_with_title_journal_year_and_kind():
    p = passage("21645374", pmid="21645374")
    answer = Answer(question="q", text="Second finding [1].", citations=(Citation(1, p),),
                    passages=(p, p))
    html = literature.sources_html(answer)
    assert html.count("class='medchat-source'") == 1
    for fact in ("Title 21645374", "BMC Plant Biol", "2011", "abstract", "PMID 21645374"):
        assert fact in html
    assert "<mark>Second finding.</mark>" in html


def test_a_consumer_health_page_gets_its_own_link_not_a_pubmed_one():
    page = passage("medquad-0001", link="https://www.nlm.nih.gov/medlineplus/gout.html")
    html = literature.sources_html(Answer("q", "x", (), (page,), abstained=True))
    assert "consumer-health page" in html
    assert "pubmed.ncbi.nlm.nih.gov" not in html
    assert "https://www.nlm.nih.gov/medlineplus/gout.html" in html


def test_source_text_is_escaped_never_rendered_as_html():
    hostile = passage("1", pmid="1", text="<script>alert(1)</script> Finding.")
    html = literature.sources_html(Answer("q", "x", (), (hostile,), abstained=True))
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_follow_ups_receive_the_earlier_questions_and_answers():
    history = [{"role": "user", "content": "Does metformin help?"},
               {"role": "assistant", "content": [{"type": "text", "text": "Yes [1]."}]},
               {"role": "user", "content": "What about children?"}]
    assert literature.earlier_turns(history) == [("Does metformin help?", "Yes [1].")]


# --- patient tab ------------------------------------------------------------------------------

def test_an_emergency_is_a_red_banner_with_the_call_now_message_and_numbers(client):
    _, history, banner, json_file, text_file = client.predict(CHEST_PAIN, api_name="/intake")
    assert "call your local emergency number" in history[-1]["content"][0]["text"].lower()
    assert "data-level='emergency'" in banner and "background:#b00020" in banner
    assert "call your local emergency number now" in banner
    assert "911" in banner and "112" in banner
    assert "Why:" in banner


def test_each_level_has_its_own_colour():
    colours = {level: intake.banner_html(TriageResult(level, ["a reason"], []), True)
               .split("background:")[1][:7] for level in intake.BANNER}
    assert len(set(colours.values())) == 4
    assert colours["emergency"] == "#b00020"


def test_the_clinician_summary_downloads_as_json_and_text(client):
    _, _, _, json_file, text_file = client.predict(CHEST_PAIN, api_name="/intake")
    summary = json.loads(read(json_file))
    assert validate(summary) == []
    assert summary["triage"]["level"] == "emergency"
    assert read(text_file).startswith("TRIAGE SUMMARY")


def test_start_again_clears_the_conversation(client):
    client.predict("My name is Zorvikst. " + CHEST_PAIN, api_name="/intake")
    _, chat, banner, *_ = client.predict(api_name="/start_again")
    assert len(chat) == 1 and "data-level='none'" in banner
    _, history, _, json_file, _ = client.predict("I have a sore throat", api_name="/intake")
    assert [m["role"] for m in history] == ["assistant", "user", "assistant"]
    assert "Zorvikst" not in read(json_file)


def test_two_patients_never_see_each_others_words(demo):
    first, second = (Client(demo.local_url, verbose=False) for _ in range(2))
    first.predict("My name is Zorvikaa. I have a sore throat", api_name="/intake")
    _, history, _, json_file, _ = second.predict("My name is Zorvikbb. I have a rash",
                                                 api_name="/intake")
    seen = json.dumps(history) + read(json_file)
    assert "Zorvikbb" in seen and "Zorvikaa" not in seen


def test_an_empty_patient_message_is_answered_at_once(cold):
    demo, models = cold
    _, history, *_ = Client(demo.local_url, verbose=False).predict("  ", api_name="/intake")
    assert "type your answer" in history[-1]["content"][0]["text"]
    assert models._layers is None


def test_old_summary_files_are_deleted(tmp_path):
    summary = json.loads(json.dumps(_any_summary()))
    first, _ = intake.summary_files(summary, tmp_path, keep_seconds=3600)
    os.utime(os.path.dirname(first), (0, 0))
    intake.summary_files(summary, tmp_path, keep_seconds=3600)
    assert not os.path.exists(first)
    assert len(list(tmp_path.iterdir())) == 1


def test_many_sessions_clearing_old_summaries_at_once_never_fail(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    summary = _any_summary()
    for _ in range(40):
        old = Path(intake.summary_files(summary, tmp_path, keep_seconds=3600)[0]).parent
        os.utime(old, (0, 0))
    with ThreadPoolExecutor(8) as pool:
        written = list(pool.map(lambda _: intake.summary_files(summary, tmp_path, 3600),
                                range(16)))
    assert all(Path(j).is_file() and Path(t).is_file() for j, t in written)
    assert len(list(tmp_path.iterdir())) == 16


def _any_summary() -> dict:
    from assistant.triage import IntakeSession, build_summary

    turn = IntakeSession().reply("I have a sore throat")
    return build_summary(turn.state, turn.result)

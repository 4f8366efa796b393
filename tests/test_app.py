"""The Gradio app answers over loopback (gradio_client), as a user's browser would."""

from __future__ import annotations

import pytest
from gradio_client import Client

import app


def text_of(message: dict) -> str:
    """Gradio returns message content as a list of typed parts."""
    content = message["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content)


@pytest.fixture(scope="module")
def client(settings, assistant):
    demo = app.build_app(settings, assistant).queue()
    demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True,
                quiet=True)
    yield Client(demo.local_url, verbose=False)
    demo.close()


def test_the_app_binds_to_loopback_by_default(settings):
    assert settings.app.host == "127.0.0.1"


def test_a_literature_question_gets_an_answer_and_linked_sources(client):
    box, history, sources = client.predict(
        "Do mitochondria play a role in remodelling lace plant leaves during programmed cell "
        "death?", [], api_name="/ask",
    )
    assert box == ""
    assert history[-1]["role"] == "assistant"
    assert "not medical advice" in text_of(history[-1])
    assert "https://pubmed.ncbi.nlm.nih.gov/21645374/" in sources


def test_an_empty_question_gets_a_message_not_an_error(client):
    _, history, _ = client.predict("", [], api_name="/ask")
    assert [m["role"] for m in history] == ["assistant"]
    assert "Type a question" in text_of(history[-1])


def test_patient_intake_escalates_a_red_flag_on_the_same_turn(client):
    _, history, level, summary = client.predict(
        "I have crushing chest pain spreading to my left arm and I'm sweating",
        [], api_name="/intake",
    )
    assert "emergency" in level.lower()
    assert "call your local emergency number" in text_of(history[-1]).lower()
    assert summary


def test_the_literature_chat_streams_only_checked_text(assistant):
    from assistant.citations import split_answer

    updates = [history[-1]["content"] for _, history, _ in app.respond(
        assistant, 2000, "Do mitochondria play a role in remodelling lace plant leaves during "
        "programmed cell death?", [])]
    assert updates[0] == "Searching the literature…"
    final = updates[-1]
    for partial in updates[1:-1]:
        assert partial.endswith(" …")
        assert all(sentence in final for sentence in split_answer(partial[: -len(" …")]))

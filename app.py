"""The Gradio chat: literature answers with sources, and patient triage intake.

Run `medchat serve` (or `python app.py`). Binds to 127.0.0.1 unless the settings say otherwise.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from functools import partial

import gradio as gr

from assistant.assistant import Assistant
from assistant.records import DISCLAIMER, Answer, source_kind
from assistant.settings import Settings, load_settings
from assistant.triage import IntakeSession, build_summary, to_text
from assistant.triage.layers import MeaningLayers, load_layers
from retrieval.retriever import QueryError

log = logging.getLogger(__name__)

MAX_INTAKE_CHARS = 2000

INTRO = (
    "**medchat** answers questions from published medical research, citing the abstracts it "
    "used. It does not diagnose. In an emergency, call your local emergency number."
)


def sources_markdown(answer: Answer) -> str:
    """The sources panel: every retrieved passage, cited ones marked, linked to PubMed."""
    if not answer.passages:
        return "No sources were found for this question."
    cited = {c.number for c in answer.citations}
    lines = ["### Closest sources (not cited)" if answer.abstained else "### Sources"]
    for i, p in enumerate(answer.passages, 1):
        mark = "cited" if i in cited else "retrieved"
        ident = f"PMID {p.pmid}" if p.pmid else p.doc_id
        link = f"[{ident}]({p.link})" if p.link else ident
        year = f" ({p.year})" if p.year else ""
        lines.append(f"{i}. **{p.title or 'Untitled'}**{year} — {source_kind(p)}, {link} · "
                     f"_{mark}_")
    return "\n".join(lines)


def respond(
    assistant: Assistant, max_chars: int, message: str, history: list[dict]
) -> Iterator[tuple[str, list[dict], str]]:
    """Stream one answer into the chat, checked sentences only; the last update shows the final
    answer (a contradiction found late removes sentences already shown)."""
    history = list(history or [])
    message = (message or "").strip()
    if not message:
        history.append({"role": "assistant", "content": "Type a question about the medical "
                        "literature, e.g. “Does vitamin D supplementation prevent fractures?”"})
        yield "", history, ""
        return
    if len(message) > max_chars:
        history.append({"role": "assistant", "content": (
            f"Your message is {len(message)} characters long; please keep it under {max_chars}."
        )})
        yield "", history, ""
        return
    history.append({"role": "user", "content": message})
    history.append({"role": "assistant", "content": "Searching the literature…"})
    yield "", history, ""
    try:
        checked = ""  # answer_stream yields only text that has passed the citation check
        for item in assistant.answer_stream(message):
            if isinstance(item, Answer):
                history[-1] = {"role": "assistant", "content": item.render()}
                yield "", history, sources_markdown(item)
                return
            checked += item
            history[-1] = {"role": "assistant", "content": checked + " …"}
            yield "", history, ""
    except QueryError as exc:
        history[-1] = {"role": "assistant", "content": str(exc)}
        yield "", history, ""


def build_app(settings: Settings, assistant: Assistant) -> gr.Blocks:
    max_chars = settings.app.max_message_chars

    def ask(message: str, history: list[dict]) -> Iterator[tuple[str, list[dict], str]]:
        yield from respond(assistant, max_chars, message, history)

    with gr.Blocks(title="medchat") as demo:
        gr.Markdown(INTRO)
        with gr.Tab("Literature questions"):
            with gr.Row():
                with gr.Column(scale=3):
                    chat = gr.Chatbot(label="medchat", height=520, placeholder=INTRO)
                    box = gr.Textbox(
                        label="Your question",
                        placeholder="e.g. Does vitamin D supplementation prevent fractures?",
                        max_lines=4,
                    )
                with gr.Column(scale=2):
                    sources = gr.Markdown("Sources appear here after an answer.")
            gr.Markdown(f"_{DISCLAIMER}_")
            box.submit(ask, [box, chat], [box, chat, sources], api_name="ask")
        intake_tab(settings)
    return demo


def intake_step(
    message: str,
    history: list[dict],
    session: IntakeSession | None,
    layers: MeaningLayers | None = None,
) -> tuple[str, list[dict], IntakeSession, str, str]:
    """One patient turn: escalation, the next questions, or the final advice; plus the summary.

    Each browser session has its own IntakeSession (gr.State), so patients never share state;
    the meaning layers are read-only models shared by all sessions.
    """
    layers = layers or MeaningLayers()
    session = session or IntakeSession(signs=layers.signs, urgency=layers.urgency)
    history = list(history or []) or [{"role": "assistant", "content": session.greeting}]
    message = (message or "").strip()
    if not message:
        history.append({"role": "assistant", "content": "Please type your answer first."})
        return "", history, session, "", ""
    if len(message) > MAX_INTAKE_CHARS:
        history.append({"role": "assistant", "content": (
            f"That message is very long ({len(message)} characters); please describe the main "
            f"problem in under {MAX_INTAKE_CHARS} characters."
        )})
        return "", history, session, "", ""
    history.append({"role": "user", "content": message})
    turn = session.reply(message)
    history.append({"role": "assistant", "content": turn.message})
    summary = build_summary(turn.state, turn.result)
    level = f"**Triage level: {turn.result.level}**" + (" (final)" if turn.done else " (so far)")
    return "", history, session, level, to_text(summary)


def intake_tab(settings: Settings) -> None:
    """The patient intake tab: a history-taking chat, the triage level and clinician summary."""
    t = settings.triage
    layers = load_layers(t.signs, t.urgency, settings.model_cache)
    with gr.Tab("Patient intake"):
        gr.Markdown(
            "Describe what is bothering you. This is not a diagnosis. "
            "**If you think it is an emergency, call your local emergency number now.**"
        )
        session = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    value=[{"role": "assistant", "content": IntakeSession().greeting}],
                    label="Intake", height=460,
                )
                box = gr.Textbox(label="Your answer", max_lines=4)
            with gr.Column(scale=2):
                level = gr.Markdown("Triage level appears here.")
                summary = gr.Textbox(label="Summary for the clinician", lines=16)
        box.submit(
            partial(intake_step, layers=layers), [box, chat, session],
            [box, chat, session, level, summary], api_name="intake",
        )


def main(settings: Settings | None = None) -> None:
    settings = settings or load_settings()
    assistant = Assistant.from_settings(settings)
    build_app(settings, assistant).queue(default_concurrency_limit=2).launch(
        server_name=settings.app.host, server_port=settings.app.port, share=False
    )


if __name__ == "__main__":
    main()

"""The patient tab: a history-taking chat, the level of care as a coloured banner, and the
clinician summary as downloadable JSON and text.

Each browser session has its own `IntakeSession` (gr.State): patients never share state, a page
reload starts a new one, and "Start again" drops it. The summary files are written to a private
temporary folder and deleted after `session_minutes`.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import gradio as gr

from assistant.triage import IntakeSession, build_summary, export_summary
from assistant.triage.decision import TriageResult
from assistant.triage.levels import ADVICE
from assistant.triage.session import CRISIS_LINES, GREETING
from retrieval.query import MAX_QUERY_CHARS, QueryError, check_text
from ui.models import Models

EMERGENCY_NUMBERS = (
    "Emergency numbers: 911 (US, Canada), 999 (UK), 112 (European Union and many other "
    "countries), 000 (Australia), 111 (New Zealand). If you cannot call, ask someone near you to."
)
# level -> (title, background, border, text colour): contrast checked against WCAG AA
BANNER = {
    "emergency": ("EMERGENCY: call your local emergency number now", "#b00020", "#7a0016",
                  "#ffffff"),
    "urgent": ("URGENT: get medical advice today", "#ffb300", "#c68400", "#1a1a1a"),
    "routine": ("ROUTINE: book an appointment with your GP", "#1565c0", "#0d47a1", "#ffffff"),
    "self-care": ("SELF-CARE: this can usually be looked after at home", "#2e7d32", "#1b5e20",
                  "#ffffff"),
}
WAITING = ("<div class='medchat-banner' data-level='none'>The level of care appears here once "
           "you have described the problem.</div>")


def banner_html(result: TriageResult, final: bool) -> str:
    """The level as a prominent coloured banner with its advice and reasons in plain words."""
    title, background, border, colour = BANNER[result.level]

    def block(tag: str, text: str, style: str = "") -> str:
        # every element carries the colour: the page's prose styles would override inheritance
        return f"<{tag} style='color:{colour};margin:.35em 0;{style}'>{text}</{tag}>"

    parts = [block("div", html.escape(title), "font-size:1.5em;font-weight:700"),
             block("p", html.escape(ADVICE[result.level]), "font-size:1.1em")]
    if result.level == "emergency" or result.crisis:
        parts.append(block("p", html.escape(EMERGENCY_NUMBERS), "font-weight:700"))
    if result.crisis:
        parts.append(block("p", html.escape(CRISIS_LINES)))
    if result.reasons:
        reasons = "".join(block("li", html.escape(r)) for r in result.reasons)
        parts += [block("div", "Why:", "font-weight:700"), block("ul", reasons)]
    parts.append(block("div", f"{'Final level' if final else 'Level so far: more questions follow'}"
                       ". This is not a diagnosis.", "font-size:.9em"))
    return (f"<div class='medchat-banner' role='alert' data-level='{result.level}' "
            f"style='background:{background};color:{colour};border:3px solid {border};"
            f"border-radius:10px;padding:14px 18px'>{''.join(parts)}</div>")


def summary_files(summary: dict, folder: Path, keep_seconds: float) -> tuple[str, str]:
    """Write the summary as JSON and text under `folder` (unguessable names); files older than
    `keep_seconds` are deleted first, so a patient's words do not stay on disk."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    cutoff = time.time() - keep_seconds
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except FileNotFoundError:
            continue  # another session's turn removed it first
    own = folder / uuid.uuid4().hex
    own.mkdir(mode=0o700)
    json_path, text_path = export_summary(summary, own / "triage-summary")
    return str(json_path), str(text_path)


def intake_reply(
    models: Models, folder: Path, keep_seconds: float, message: str, history: list[dict],
    session: IntakeSession | None,
) -> tuple:
    """One patient turn: (textbox, chat, chat state, session, banner, JSON and text files)."""
    history = list(history or [{"role": "assistant", "content": GREETING}])
    text, problem = "", None
    if not (message or "").strip():
        problem = "Please type your answer first."
    else:
        try:  # the same cleaning as every question: control characters, invalid UTF-8, length
            text = check_text(message, MAX_QUERY_CHARS, what="message")
        except QueryError as exc:
            problem = f"Please try again: {exc}."
    if problem:
        history.append({"role": "assistant", "content": problem})
        return "", history, history, session, gr.skip(), gr.skip(), gr.skip()
    if session is None:
        layers = models.layers()
        session = IntakeSession(signs=layers.signs, urgency=layers.urgency)
    turn = session.reply(text)
    history += [{"role": "user", "content": text}, {"role": "assistant", "content": turn.message}]
    json_path, text_path = summary_files(build_summary(turn.state, turn.result), folder,
                                         keep_seconds)
    return ("", history, history, session, banner_html(turn.result, turn.done), json_path,
            text_path)


def start_again() -> tuple:
    """A fresh conversation: greeting only, no session, no banner, no summary files."""
    greeting = [{"role": "assistant", "content": GREETING}]
    hidden = gr.DownloadButton(value=None, visible=False)
    return "", greeting, greeting, None, WAITING, hidden, hidden


def echo(message: str, history: list[dict]) -> list[dict]:
    """The patient's message shown at once, while the reply is worked out."""
    text = " ".join((message or "").split())
    return [*history, {"role": "user", "content": text}] if text else history


def show_downloads() -> tuple:
    """The download buttons appear once there is a summary (the API returns plain paths)."""
    return gr.DownloadButton(visible=True), gr.DownloadButton(visible=True)


def intake_tab(models: Models, concurrency: int) -> None:
    """The tab's layout and events; the conversation lives in per-session gr.State only."""
    app = models.settings.app
    keep = app.session_minutes * 60
    folder = Path(tempfile.gettempdir()) / f"medchat-summaries-{os.getuid()}"

    def respond(message, history, session):
        return intake_reply(models, folder, keep, message, history, session)

    gr.Markdown("Describe what is bothering you. This is not a diagnosis. "
                "**If you think it is an emergency, call your local emergency number now.**")
    greeting = [{"role": "assistant", "content": GREETING}]
    convo = gr.State(greeting, time_to_live=keep)
    session = gr.State(None, time_to_live=keep)
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.Chatbot(greeting, label="Intake", height=460, buttons=["copy_all"],
                              elem_id="medchat-intake-chat", feedback_options=None)
            box = gr.Textbox(label="Your answer", placeholder="Type here and press Enter",
                             max_lines=4, submit_btn=True, elem_id="medchat-answer")
            again = gr.Button("Start again", elem_id="medchat-start-again")
        with gr.Column(scale=2):
            banner = gr.HTML(WAITING, label="Level of care", elem_id="medchat-triage-banner")
            json_file = gr.DownloadButton("Summary for the clinician (JSON)", visible=False,
                                          elem_id="medchat-summary-json")
            text_file = gr.DownloadButton("Summary for the clinician (text)", visible=False,
                                          elem_id="medchat-summary-text")
    outputs = [box, chat, convo, session, banner, json_file, text_file]
    shown = box.submit(echo, [box, convo], [chat], queue=False, api_visibility="undocumented")
    answered = shown.then(
        respond, [box, convo, session], outputs, api_name="intake",
        api_description="One patient message; returns the conversation, the level banner "
        "(HTML) and the clinician summary as JSON and text files.",
        concurrency_limit=concurrency, concurrency_id="intake", show_progress="full",
    )
    answered.then(show_downloads, None, [json_file, text_file], queue=False,
                  api_visibility="undocumented")
    again.click(start_again, None, outputs, api_name="start_again", queue=False)
    chat.clear(start_again, None, outputs, api_visibility="undocumented", queue=False)

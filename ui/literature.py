"""The literature tab: checked sentences streamed into a chat, and a panel of the sources.

Every source shows its title, journal, year and kind (abstract or consumer-health page), a
PubMed link where it has a PMID, and the passage the answer drew on with the sentence it cited
highlighted. The chat keeps the conversation, so a follow-up ("What about children?") is
rewritten into a full question by the assistant.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence

import gradio as gr

from assistant.citations import cited_sentences, content_words, split_answer, strip_markers
from assistant.records import DISCLAIMER, Answer, source_kind
from corpus.records import Passage
from retrieval.query import QueryError, check_query
from retrieval.retriever import Filters
from retrieval.settings import MODES
from ui.models import Models

SEARCHING = "Searching the literature…"
EXAMPLE = "e.g. “Does vitamin D supplementation prevent fractures?”"
NO_SOURCES = "<p>Sources appear here after an answer.</p>"


def text_of(content: object) -> str:
    """A chat message's content as text (Gradio may hand it over as a list of typed parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text", ""))
    if isinstance(content, list | tuple):
        return " ".join(text_of(part) for part in content)
    return ""


def question_problem(message: str) -> str | None:
    """Why a question cannot be asked (empty, too long, undecodable), or None: the search's own
    check (and its one length limit, retrieval.query.MAX_QUERY_CHARS), run before any model is
    needed."""
    if not " ".join((message or "").split()):
        return f"Type a question about the medical literature, {EXAMPLE}"
    try:
        check_query(message)
    except QueryError as exc:
        return sentence(str(exc))
    return None


def sentence(message: str) -> str:
    """"the question is empty: ..." -> "The question is empty: ...." as shown in the chat."""
    message = message.strip()
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def year_problem(year_from: float | None, year_to: float | None) -> str | None:
    if year_from and year_to and year_from > year_to:
        return f"The year range is empty: from {int(year_from)} is after to {int(year_to)}."
    return None


def earlier_turns(history: Sequence[dict]) -> list[tuple[str, str]]:
    """(question, answer) pairs of the conversation so far, for follow-up rewriting."""
    pairs: list[tuple[str, str]] = []
    question = None
    for message in history or ():
        text = text_of(message.get("content"))
        if message.get("role") == "user":
            question = text
        elif question is not None:
            pairs.append((question, text))
            question = None
    return pairs


def pubmed_link(p: Passage) -> str:
    """PubMed's page for a real PMID; "" for records without one (MedQuAD's NIH pages)."""
    return f"https://pubmed.ncbi.nlm.nih.gov/{p.pmid}/" if p.pmid.isdigit() else ""


def supporting_sentence(claim: str, passage_text: str) -> str:
    """The passage sentence sharing most content words with a claim ("" when none shares any)."""
    words = content_words(claim)
    best, best_shared = "", 0
    for line in passage_text.split("\n"):
        for sentence in split_answer(line):
            shared = len(words & content_words(sentence))
            if shared > best_shared:
                best, best_shared = sentence, shared
    return best


def marked_passage(passage_text: str, sentences: Sequence[str]) -> str:
    """The passage as escaped HTML, each of `sentences` wrapped in <mark>."""
    spans = sorted({(i, i + len(s)) for s in sentences if s and (i := passage_text.find(s)) >= 0})
    out, at = [], 0
    for start, end in spans:
        if start < at:
            continue
        out += [html.escape(passage_text[at:start]), "<mark>",
                html.escape(passage_text[start:end]), "</mark>"]
        at = end
    out.append(html.escape(passage_text[at:]))
    return "".join(out).replace("\n", "<br>")


def sources_html(answer: Answer) -> str:
    """The sources panel: one entry per document, cited ones first marked and highlighted."""
    if not answer.passages:
        return "<p>No sources were found for this question.</p>"
    claims: dict[int, list[str]] = {}
    for sentence in cited_sentences(answer.text):
        for n in sentence.numbers:
            claims.setdefault(n, []).append(strip_markers(sentence.text))
    heading = ("Closest sources (not cited as support)" if answer.abstained and not claims
               else "Sources")
    items, seen = [], set()
    for n, p in enumerate(answer.passages, 1):
        if p.citation_id in seen:
            continue
        seen.add(p.citation_id)
        items.append(source_item(n, p, claims.get(n, [])))
    return f"<div class='medchat-sources'><h3>{heading}</h3>{''.join(items)}</div>"


def source_item(number: int, p: Passage, claims: Sequence[str]) -> str:
    facts = [html.escape(x) for x in (p.journal, str(p.year or ""), source_kind(p)) if x]
    link = pubmed_link(p)
    if link:
        facts.append(f"<a href='{link}' target='_blank' rel='noopener'>PMID {p.pmid}</a>")
    elif p.link.startswith(("https://", "http://")):
        facts.append(f"<a href='{html.escape(p.link, quote=True)}' target='_blank' "
                     f"rel='noopener'>{html.escape(p.doc_id)}</a>")
    else:
        facts.append(html.escape(p.doc_id))
    facts.append("<b>cited</b>" if claims else "retrieved, not cited")
    marked = [supporting_sentence(c, p.text) for c in claims]
    summary = "Cited passage (cited sentence highlighted)" if claims else "Passage"
    return (
        f"<div class='medchat-source'><p><b>[{number}] {html.escape(p.title or 'Untitled')}"
        f"</b><br>{' · '.join(facts)}</p><details{' open' if claims else ''}>"
        f"<summary>{summary}</summary><p>{marked_passage(p.text, marked)}</p></details></div>"
    )


def reply(
    models: Models, message: str, history: list[dict], k: float = 5,
    mode: str = "hybrid", year_from: float | None = None, year_to: float | None = None,
    rerank: bool = False,
) -> Iterator[tuple[str, str]]:
    """Stream one answer: (chat text, sources panel). Checked sentences only; the last update
    is the final answer with its references (a late contradiction may remove a sentence)."""
    problem = question_problem(message) or year_problem(year_from, year_to)
    if problem:
        yield problem, NO_SOURCES
        return
    yield SEARCHING, NO_SOURCES
    filters = Filters(year_min=int(year_from) if year_from else None,
                      year_max=int(year_to) if year_to else None)
    try:
        assistant = models.answering(mode if mode in MODES else "hybrid", bool(rerank))
        checked = ""
        for item in assistant.answer_stream(message, int(k or 5), filters,
                                            history=earlier_turns(history)):
            if isinstance(item, Answer):
                yield item.render(), sources_html(item)
                return
            checked += item
            yield checked + " …", NO_SOURCES
    except QueryError as exc:
        yield sentence(str(exc)), NO_SOURCES


def literature_tab(models: Models, concurrency: int) -> gr.ChatInterface:
    """The tab's chat (gr.ChatInterface keeps the conversation) with settings and sources."""
    settings = models.settings

    def respond(message, history, k, mode, year_from, year_to, rerank):
        yield from reply(models, message, history, k, mode, year_from, year_to, rerank)

    def validate(message):
        problem = question_problem(message)
        return gr.validate(problem is None, problem or "")

    r = settings.retrieval
    panel = [
        gr.Slider(1, 10, value=r.top_k, step=1, label="Number of sources", render=False),
        gr.Radio(list(MODES), value=r.mode, label="Retrieval mode", render=False,
                 info="hybrid: words and meaning (best overall); dense: meaning; bm25: words"),
        gr.Number(0, label="Published from (year; 0 = any)", precision=0, minimum=0,
                  render=False),
        gr.Number(0, label="Published up to (year; 0 = any)", precision=0, minimum=0,
                  render=False),
        gr.Checkbox(bool(r.reranker), label="Rerank the top 20 (more precise, about 1 s "
                    "slower on a CPU)", render=False),
    ]
    sources = gr.HTML(NO_SOURCES, label="Sources", render=False, elem_id="medchat-sources")
    with gr.Row():
        with gr.Column(scale=3):
            chat = gr.ChatInterface(
                respond,
                chatbot=gr.Chatbot(
                    label="Literature answers", height=520, buttons=["copy", "copy_all"],
                    placeholder=f"Ask about the medical literature, {EXAMPLE}",
                    elem_id="medchat-literature-chat", feedback_options=None,
                ),
                textbox=gr.Textbox(placeholder="Your question", max_lines=4, submit_btn=True,
                                   elem_id="medchat-question"),
                additional_inputs=panel,
                additional_inputs_accordion="Search settings",
                additional_outputs=[sources],
                validator=validate,
                api_name="ask",
                api_description="Ask a literature question; returns the checked answer with "
                "its references and the sources panel (HTML).",
                concurrency_limit=concurrency,
                show_progress="full",
                fill_height=False,
                save_history=False,
                flagging_mode="never",
            )
            gr.Markdown(f"_{DISCLAIMER}_")
        with gr.Column(scale=2):
            sources.render()
    return chat

"""Literature questions: retrieve, gate on relevance, decide, generate, keep only checked text.

One question goes: English check -> retrieval (one passage per document) -> relevance gate
(abstain with the closest sources when nothing is relevant) -> for a yes/no question, the verdict
the reader takes from the top source -> the model's draft, each sentence streamed only once the
citation check passes it -> when nothing passes, quotes of the sources' findings -> the `Answer`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import closing
from pathlib import Path

from assistant import verdict as decision
from assistant.citations import Checked, check_sentence, contradicts, settle, split_answer
from assistant.evidence import findings, key_sentences, quote, rank_findings
from assistant.followup import standalone_question
from assistant.generator import TextGenerator, make_generator
from assistant.language import is_english
from assistant.prompt import STOP, answer_prompt, choice_prompt
from assistant.reader import EFFECTS, Reading, VerdictReader
from assistant.records import (
    ABSTAIN,
    ENGLISH_ONLY,
    NOT_COVERED,
    Answer,
    Choice,
    Citation,
    Dropped,
    source_kind,
    verdict_text,
)
from assistant.relevance import Relevance, assess
from assistant.settings import Settings
from assistant.sft_data import VERDICTS
from corpus.records import Passage
from retrieval.hits import Hit
from retrieval.query import check_query
from retrieval.retriever import Filters, Retriever

log = logging.getLogger(__name__)

OVERFETCH = 4  # passages fetched per source shown, so that k distinct documents remain
# Draft sentences failing the citation check, before any passes, after which the draft is
# abandoned (its generation stopped) for the sources' quotes: with the small default model a
# draft whose first sentence fails almost never recovers, and finishing it cost most of the wait.
FAILURES_BEFORE_FALLBACK = 1


def distinct_documents(hits: Sequence[Hit], k: int) -> list[Hit]:
    """The best-ranked passage of each document, top k: one abstract is never shown twice."""
    seen: set[str] = set()
    out: list[Hit] = []
    for hit in hits:
        if hit.passage.doc_id not in seen:
            seen.add(hit.passage.doc_id)
            out.append(hit)
    return out[:k]


def without_polar_word(sentence: str) -> str:
    """"Yes, X [1]." -> "X [1].": the verdict is stated once, by the decision rule. Only a
    standalone "Yes,"/"No." goes: "No patients died" keeps its negation."""
    words = sentence.split(maxsplit=1)
    if len(words) == 2 and words[0][-1:] in ",.!;" and words[0][:-1].lower() in ("yes", "no"):
        rest = words[1]
        return rest[:1].upper() + rest[1:]
    return sentence


# the verdict sentences the adapters were trained to write (`sft_data.verdict_sentence`)
_VERDICT_LABELS = {label for labels in VERDICTS.values() for label in labels} | {"maybe"}


def is_verdict_label(sentence: str) -> bool:
    """A draft sentence that only states a verdict ("Yes.", "No significant difference."), as
    the fine-tuned adapters open their answers: it is passed over, neither shown (only the
    decision rule states a verdict) nor counted as a failed claim."""
    return sentence.strip().rstrip(".!").strip().lower() in _VERDICT_LABELS


def top_abstract(passages: Sequence[Passage]) -> int | None:
    """The number ([1] = 1) of the highest-ranked source that is a study abstract: a verdict is
    read from a study's findings, never from a consumer-health page (the reader was trained on
    abstracts, and a page on asthma says nothing about whether obesity worsens its control)."""
    return next((i for i, p in enumerate(passages, 1) if source_kind(p) == "abstract"), None)


class Assistant:
    """Answers questions from the indexed literature; one instance serves many questions."""

    def __init__(
        self, retriever: Retriever, generator: TextGenerator, settings: Settings,
        reader: VerdictReader | None = None,
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.settings = settings
        # verdict_reader = "" states no verdicts (always "unclear")
        self.reader = reader or (VerdictReader(settings.verdict_reader)
                                 if settings.verdict_reader else None)

    @classmethod
    def from_settings(cls, settings: Settings, index_dir: Path | None = None) -> Assistant:
        """Load retriever and generator (local model or HTTP backend, as the settings say);
        `index_dir` overrides the settings' default index."""
        retriever = Retriever.load(
            index_dir or settings.index_dir, settings.retrieval, settings.chunking,
            model_cache=settings.model_cache,
        )
        generator = make_generator(settings.generator, settings.model_cache, settings.threads)
        return cls(retriever, generator, settings)

    # --- the steps, each usable alone (evaluations call them) ---------------------------------

    def sources(
        self, question: str, k: int | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """The top k hits, one passage per document."""
        k = k or self.settings.retrieval.top_k
        hits = self.retriever.search(question, k=k * OVERFETCH, filters=filters)
        return distinct_documents(hits, k)

    def relevance(self, question: str, hits: Sequence[Hit]) -> Relevance:
        return assess(question, hits, self.retriever.embedder.encode)

    def option_scores(
        self, question: str, options: Sequence[str], passages: Sequence[Passage]
    ) -> dict[str, float]:
        """Log-likelihood of each option as the answer, given the sources."""
        scored = self.generator.score_options(
            choice_prompt(question, options, passages), [" " + o for o in options]
        )
        return {o: scored[" " + o] for o in options}

    def document(self, passage: Passage) -> list[Passage]:
        """The whole document a passage is from (the passage alone when the index lacks it)."""
        return self.retriever.document(passage.doc_id) or [passage]

    def read_yes_no(self, question: str, passages: Sequence[Passage]) -> Reading | None:
        """What the top-ranked abstract's findings say to a yes/no question (None without a
        reader or an abstract among the sources): the reading `answer` and `choose` share."""
        number = top_abstract(passages)
        if self.reader is None or number is None:
            return None
        vector = self.retriever.embedder.encode([question])[0]
        read = findings(vector, self.document(passages[number - 1]),
                        self.retriever.embedder.encode)
        return self.reader.read_yes_no(question, " ".join(read), source=number)

    def read_effect(self, question: str, passages: Sequence[Passage]) -> Reading | None:
        """The direction of a trial's effect, read from the top-ranked abstract's sentence most
        likely to report the question's outcome."""
        number = top_abstract(passages)
        if self.reader is None or number is None:
            return None
        encode = self.retriever.embedder.encode
        ranked = rank_findings(question, encode([question])[0],
                               self.document(passages[number - 1]), encode, self.reader.selector)
        return self.reader.read_effect(question, " ".join(ranked[:1]), source=number)

    def verdict(self, question: str, passages: Sequence[Passage]) -> tuple[str, Reading | None]:
        """("yes" | "no" | "unclear", the reading): the decision `choose` also makes."""
        reading = self.read_yes_no(question, passages)
        if reading is None:
            return "unclear", None
        return decision.decide(reading.probabilities), reading

    def _verdict_for(
        self, question: str, passages: Sequence[Passage]
    ) -> tuple[str | None, Reading | None]:
        """The verdict the answer opens with: yes/no/unclear for a yes/no question, the effect's
        direction for a trial effect question, None for any other question."""
        if decision.is_yes_no_question(question):
            return self.verdict(question, passages)
        if decision.is_effect_question(question):
            reading = self.read_effect(question, passages)
            if reading is not None:
                return max(reading.probabilities, key=reading.probabilities.get), reading
        return None, None

    # --- answering ----------------------------------------------------------------------------

    def answer(
        self, question: str, k: int | None = None, filters: Filters | None = None,
        history: Sequence[tuple[str, str]] = (),
    ) -> Answer:
        final = None
        for item in self.answer_stream(question, k, filters, history):
            if isinstance(item, Answer):
                final = item
        assert final is not None
        return final

    def answer_stream(
        self, question: str, k: int | None = None, filters: Filters | None = None,
        history: Sequence[tuple[str, str]] = (),
    ) -> Iterator[str | Answer]:
        """Yield checked text only (the verdict, then each sentence once the citation check has
        passed it), then the `Answer` last. The Answer is authoritative: a later sentence that
        contradicts an earlier one removes both, so a UI should show `Answer.render()` at the end.

        `history`: the conversation's earlier (question, answer) pairs; a follow-up ("What about
        children?") is rewritten into a standalone question before anything else.
        """
        question = check_query(question)
        if history:
            question = check_query(standalone_question(history, question))
        if not is_english(question):
            log.info("answered: not English, refused before retrieval")
            yield Answer(question=question, text=ENGLISH_ONLY, citations=(), passages=(),
                         abstained=True)
            return
        hits = self.sources(question, k, filters)
        passages = tuple(h.passage for h in hits)
        relevance = self.relevance(question, hits)
        if not relevance.covered:
            log.info("answered: not covered (gate %.3f < %.3f), %d closest sources",
                     relevance.score, relevance.threshold, len(passages))
            yield Answer(question=question, text=NOT_COVERED, citations=(), passages=passages,
                         hits=tuple(hits), abstained=True,
                         relevance=relevance.score if hits else None)
            return
        verdict, reading = self._verdict_for(question, passages)
        sure = bool(reading and reading.label is not None)  # at the reader's threshold
        source = reading.source if reading and verdict != "unclear" else None
        lead = verdict_text(verdict, sure, source) if verdict else ""
        opening = lead
        kept: list[Checked] = []
        dropped: list[Dropped] = []
        for sentence in self._checked_sentences(question, passages, kept, dropped):
            yield (lead + " " if lead else "") + sentence.text + " "
            lead = ""
        grounded = settle(kept, dropped)
        text, citations, abstained = grounded.text, grounded.citations, grounded.abstained
        extractive = False
        if abstained:
            encode = self.retriever.embedder.encode
            chosen = key_sentences(encode([question])[0], passages, encode)
            if chosen:
                text, citations = quote(chosen, passages)
                abstained, extractive = False, True
                yield (lead + "\n" if lead else "") + text
        if abstained:
            text, verdict, source = ABSTAIN, None, None
        elif verdict:
            text = opening + ("\n" if extractive else " ") + text
            if source is not None and all(c.number != source for c in citations):
                citations = (*citations, Citation(source, passages[source - 1]))
        log.info(
            "answered: %d sources, %d citations, %d sentences dropped, extractive=%s, "
            "abstained=%s, verdict=%s", len(passages), len(citations), len(grounded.dropped),
            extractive, abstained, verdict,
        )
        yield Answer(
            question=question,
            text=text,
            citations=citations,
            passages=passages,
            hits=tuple(hits),
            abstained=abstained,
            dropped=grounded.dropped,
            extractive=extractive,
            verdict=verdict,
            verdict_sure=sure and verdict is not None,
            verdict_probability=(reading.probabilities[decision.as_label(verdict)]
                                 if reading and verdict else None),
            relevance=relevance.score,
        )

    def _checked_sentences(
        self, question: str, passages: Sequence[Passage],
        kept: list[Checked], dropped: list[Dropped],
    ) -> Iterator[Checked]:
        """Check the draft sentence by sentence as it grows; yield each one that passes and does
        not contradict one already kept. `kept` and `dropped` collect every outcome. After
        FAILURES_BEFORE_FALLBACK failures with nothing kept, the rest of the draft is neither
        read nor generated. A draft's own "Yes,"/"No," is cut whether or not the question was
        taken for a yes/no question: only the decision rule states a verdict."""
        draft, done = "", 0
        pieces = self.generator.stream(answer_prompt(question, passages), stop=STOP)
        with closing(pieces):  # leaving early closes the stream, which stops generation
            for piece in pieces:
                draft += piece
                sentences = split_answer(" ".join(draft.split()))
                # the last part may still grow; a dangling "[1" may still belong to the one before
                ready = len(sentences) - (2 if sentences and sentences[-1].startswith("[") else 1)
                for sentence in sentences[done:ready]:
                    yield from self._check([sentence], passages, kept, dropped)
                    if not kept and len(dropped) >= FAILURES_BEFORE_FALLBACK:
                        return  # this draft is not going to be usable: quote the sources now
                done = max(done, ready)
        sentences = split_answer(" ".join(draft.split()))
        yield from self._check(sentences[done:], passages, kept, dropped)

    @staticmethod
    def _check(
        sentences: Sequence[str], passages: Sequence[Passage],
        kept: list[Checked], dropped: list[Dropped],
    ) -> Iterator[Checked]:
        for sentence in sentences:
            if is_verdict_label(sentence):
                continue
            result = check_sentence(without_polar_word(sentence), passages)
            if isinstance(result, Dropped):
                dropped.append(result)
                continue
            clash = any(contradicts(result, earlier) for earlier in kept)
            kept.append(result)  # settle() removes both sides of a contradiction
            if not clash:
                yield result

    # --- constrained choice -------------------------------------------------------------------

    def choose(
        self, question: str, options: Sequence[str], passages: Sequence[Passage] | None = None
    ) -> Choice:
        """Pick one of fixed `options` given the sources. yes/no/maybe is the verdict `answer`
        states, as a label (the reader's most likely; "maybe" without a reader); the three
        trial effect labels are the reader's most likely direction from the top source; other
        option sets, or effects without a reader, take the generator's most likely option (raw
        likelihoods: calibrating them against a source-free prompt made Gemma 270M answer
        "maybe" to every PubMedQA development question).
        """
        question = check_query(question)
        if passages is None:
            passages = [h.passage for h in self.sources(question)]
        if set(options) == set(decision.OPTIONS):  # the verdict `answer` states, as a label
            verdict, reading = self.verdict(question, passages)
            scores = dict(reading.probabilities) if reading else \
                self.option_scores(question, options, passages)
            return Choice(label=decision.as_label(verdict), scores=scores,
                          passages=tuple(passages))
        reading = self.read_effect(question, passages) if set(options) == set(EFFECTS) else None
        scores = {o: reading.probabilities[o] for o in options} if reading else \
            self.option_scores(question, options, passages)
        label = max(options, key=lambda o: scores[o])
        return Choice(label=label, scores=scores, passages=tuple(passages))
